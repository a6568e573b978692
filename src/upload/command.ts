import { existsSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { checkFile } from './check-file.js'
import { CheckpointError } from './checkpoint.js'
import { checkUrl, positiveInteger, tokenProvider, UsageError } from './command-options.js'
import { count, describeDelimiter, describeProblem, write } from './command-text.js'
import { runUpload } from './command-upload.js'
import { CsvFileError } from './csv-reader.js'
import { initMapping } from './init-mapping.js'
import { loadMappingFile, MappingError, type Mapping } from './mapping-file.js'
import { previewRequests } from './preview.js'
import { RetryGate, ServiceError } from './service-call.js'
import { declareExtensionAttributes } from './schema-update.js'
import { TokenError, type TokenProvider } from './token-provider.js'
import { BatchRefused } from './uploader.js'
import { DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from './upload-csv.js'

export const UPLOAD_USAGE = `Usage: scim-inbound upload <file.csv> --mapping <mapping.json> --url <bulkUpload URL> [options]
       scim-inbound upload --init-mapping <file.csv> [--mapping <new mapping.json>] [--domain contoso.com]

Reads the CSV (streaming; "," or ";" found from the header), checks every row against the
mapping, then sends the valid rows as SCIM bulk requests, in file order per externalId.

  --mapping, -m <file>     the mapping: CSV columns → SCIM attributes (README: "For HR integrators")
  --url <url>              the job's bulkUpload URL
  --token <token>          bearer token (or the SCIM_INBOUND_TOKEN environment variable)
  --token-url <url>        client-credentials grant instead of --token, with --client-id,
  --client-id <id>         --client-secret (or SCIM_INBOUND_CLIENT_SECRET) and --scope
  --client-secret <secret>   (e.g. https://graph.microsoft.com/.default)
  --scope <scope>
  --delimiter <char>       , ; | or tab (default: read from the header line)
  --batch-size <n>         operations per request (default ${DEFAULT_BATCH_SIZE}, as Entra allows; up to the job's maxOperations here)
  --concurrency <n>        requests in flight (default ${DEFAULT_CONCURRENCY})
  --skip-invalid           send the valid rows even if some rows are invalid (they are reported)
  --checkpoint <file>      journal of accepted requests (default <file.csv>.checkpoint.jsonl);
                           running the same command again resumes after the last accepted request
  --start-over             ignore an existing checkpoint and send every row
  --wait                   follow every request until processed; print outcomes and failed records
  --report <out.csv>       write invalid rows and failed records as CSV (implies --wait)
  --dry-run                check the rows and print the first requests instead of sending
  --schema-update          declare the mapping's custom extension attributes on the job first
  --max-retries <n>        retries of a request after network or server errors (default ${DEFAULT_MAX_RETRIES}; 429 is always waited out)
  --timeout <seconds>      per request (default ${DEFAULT_TIMEOUT_MS / 1000})
  --quiet                  no progress display

Exit status: 0 done, 1 error or invalid rows, 2 wrong usage, 3 records failed (--wait), 130 interrupted.
`

const DRY_RUN_REQUESTS = 2
const PROBLEMS_LISTED = 50

/** `scim-inbound upload …`; returns the exit status. Needs none of the service's configuration. */
export async function runUploadCommand (args: string[]): Promise<number> {
  try {
    return await run(args)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`scim-inbound upload: ${err.message}\n\n${UPLOAD_USAGE}`)
      return 2
    }
    if (isUserError(err)) {
      process.stderr.write(`scim-inbound upload: ${(err as Error).message}\n`)
      return 1
    }
    throw err
  }
}

/** Errors that are about the input, the service's answers or the environment: a message, no stack trace. */
function isUserError (err: unknown): boolean {
  return err instanceof MappingError || err instanceof CsvFileError || err instanceof CheckpointError ||
    err instanceof TokenError || err instanceof ServiceError || err instanceof BatchRefused
}

function parseCommandLine (args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        mapping: { type: 'string', short: 'm' },
        url: { type: 'string' },
        token: { type: 'string' },
        'token-url': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        scope: { type: 'string' },
        delimiter: { type: 'string' },
        'batch-size': { type: 'string' },
        concurrency: { type: 'string' },
        'skip-invalid': { type: 'boolean' },
        checkpoint: { type: 'string' },
        'start-over': { type: 'boolean' },
        wait: { type: 'boolean' },
        report: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'schema-update': { type: 'boolean' },
        'init-mapping': { type: 'string' },
        domain: { type: 'string' },
        'max-retries': { type: 'string' },
        timeout: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) throw new UsageError((err as Error).message)
    throw err
  }
}

async function run (args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args)
  if (values.help === true) { await write(process.stdout, UPLOAD_USAGE); return 0 }
  if (values['init-mapping'] !== undefined) return await runInitMapping(values['init-mapping'], values)

  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'which CSV file? Give its path.' : `one CSV file at a time (got ${positionals.join(', ')})`)
  const csvPath = positionals[0]!
  if (values.mapping === undefined) throw new UsageError('--mapping is required (scim-inbound upload --init-mapping file.csv writes a starter)')
  const batchSize = positiveInteger(values['batch-size'], '--batch-size', DEFAULT_BATCH_SIZE)
  const concurrency = positiveInteger(values.concurrency, '--concurrency', DEFAULT_CONCURRENCY)
  const maxRetries = positiveInteger(values['max-retries'], '--max-retries', DEFAULT_MAX_RETRIES, 0)
  const timeoutMs = positiveInteger(values.timeout, '--timeout', DEFAULT_TIMEOUT_MS / 1000) * 1000
  const mapping = await loadMappingFile(values.mapping)
  if (values['dry-run'] === true) return await runDryRun(csvPath, mapping, values.mapping, batchSize, values)

  const url = checkUrl(values.url)
  const tokens = tokenProvider(values)
  const controller = new AbortController()
  const stopHandlingSignals = handleInterruptions(controller)
  try {
    if (values['schema-update'] === true) await runSchemaUpdate(url, mapping, tokens, controller.signal, maxRetries, timeoutMs)
    return await runUpload({
      csvPath,
      mapping,
      mappingSource: values.mapping,
      url,
      tokens,
      delimiter: values.delimiter,
      batchSize,
      concurrency,
      skipInvalid: values['skip-invalid'] === true,
      checkpoint: values.checkpoint,
      startOver: values['start-over'] === true,
      wait: values.wait === true || values.report !== undefined,
      report: values.report,
      maxRetries,
      timeoutMs,
      quiet: values.quiet === true,
      signal: controller.signal
    })
  } finally {
    stopHandlingSignals()
  }
}

/** The first Ctrl-C (or SIGTERM) lets the requests in flight finish so they are recorded; the second quits at once. */
function handleInterruptions (controller: AbortController): () => void {
  const onSignal = (): void => {
    if (controller.signal.aborted) {
      process.stderr.write('\nStopped at once. Accepted requests are in the checkpoint; run the same command to resume.\n')
      process.exit(130)
    }
    process.stderr.write('\nStopping: letting the requests in flight finish so they are recorded (press Ctrl-C again to quit at once)…\n')
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal) }
}

async function runDryRun (csvPath: string, mapping: Mapping, mappingSource: string, batchSize: number, values: { delimiter?: string, 'skip-invalid'?: boolean }): Promise<number> {
  let problems = 0
  const check = await checkFile(csvPath, mapping, {
    delimiter: values.delimiter,
    mappingSource,
    onInvalidRow: invalid => {
      for (const problem of invalid.problems) if (problems++ < PROBLEMS_LISTED) process.stderr.write(`${describeProblem(problem)}\n`)
    }
  })
  process.stderr.write(`Checked ${count(check.rows, 'row')} (delimiter ${describeDelimiter(check.delimiter)}): ${count(check.valid, 'valid row')}, ${count(check.invalid, 'invalid row')}. Dry run: nothing is sent; the first requests would be:\n`)
  const requests = await previewRequests(csvPath, mapping, { count: DRY_RUN_REQUESTS, batchSize, delimiter: check.delimiter, mappingSource })
  await write(process.stdout, JSON.stringify(requests, null, 2) + '\n')
  return check.invalid > 0 && values['skip-invalid'] !== true ? 1 : 0
}

async function runInitMapping (csvPath: string, values: { mapping?: string, domain?: string, delimiter?: string }): Promise<number> {
  if (values.mapping !== undefined && existsSync(values.mapping)) throw new UsageError(`${values.mapping} exists; choose another --mapping path for the starter mapping`)
  const { mapping, notes } = await initMapping(csvPath, { delimiter: values.delimiter, domain: values.domain })
  const text = JSON.stringify(mapping, null, 2) + '\n'
  for (const note of notes) process.stderr.write(`note: ${note}\n`)
  if (values.mapping === undefined) { await write(process.stdout, text); return 0 }
  writeFileSync(values.mapping, text)
  process.stderr.write(`Wrote ${values.mapping}. Try it: scim-inbound upload ${csvPath} --mapping ${values.mapping} --dry-run\n`)
  return 0
}

async function runSchemaUpdate (url: string, mapping: Mapping, tokens: TokenProvider, signal: AbortSignal, maxRetries: number, timeoutMs: number): Promise<void> {
  const added = await declareExtensionAttributes(url, mapping, { tokens, gate: new RetryGate(), signal, maxRetries, timeoutMs })
  const custom = mapping.attributes.filter(attribute => attribute.target.expected === undefined).length
  if (custom === 0) process.stderr.write('Schema update: the mapping writes no custom extension attribute; nothing to declare.\n')
  else if (added.length === 0) process.stderr.write(`Schema update: the job already declares the mapping's ${count(custom, 'custom extension attribute')}.\n`)
  else process.stderr.write(`Schema update: declared ${added.map(attribute => `${attribute.schema}:${attribute.name} (${attribute.type})`).join(', ')}.\n`)
}
