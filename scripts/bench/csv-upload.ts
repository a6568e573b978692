/**
 * CSV upload, end to end: a generated HR file of 100,000 rows sent by `scim-inbound upload`'s
 * uploader to a running service, timed until every row is processed (committed).
 *
 * Standalone, against a started job of a directory with the domain contoso.com:
 *   npx tsx scripts/bench/csv-upload.ts --url <bulkUpload URL> --token <token> [--rows 100000] [--batch-size 1000] [--concurrency 4] [--domain contoso.com]
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { loadMappingFile, staticToken, uploadCsv } from '../../src/upload/index.js'

export interface CsvUploadBenchOptions {
  /** The bulkUpload URL of a started job. */
  url: string
  token: string
  rows?: number
  /** The service takes up to the job's maxOperations (1,000 by default) per request. */
  batchSize?: number
  concurrency?: number
  /** A verified domain of the job's directory, for userName. */
  domain?: string
  /** Stops sending and following (a deadline); what was processed by then is reported. */
  signal?: AbortSignal
  /** The clock starts: the file is written, the upload begins. */
  onStart?: () => void
}

export interface CsvUploadBenchResult {
  rows: number
  /** From the first byte read to the last row processed. */
  wallSeconds: number
  rowsPerSecond: number
  /** From the first byte read to the last request accepted. */
  acceptedSeconds: number
  /** Operations whose outcome the uploader read back, and how many of them failed. */
  processed: number
  failed: number
  interrupted: boolean
}

const HEADER = 'WorkerID,WorkerStatus,WorkerType,UserID,FirstName,LastName,FullName,ManagerID,HireDate,Department,Company,JobTitle,StreetAddress,City,CountryCode,OfficePhone,ZipCode'
const DEPARTMENTS = ['Sales', 'Finance', 'Manufacturing', 'Human Resources', 'Product Engineering']
const CITIES = ['München', 'Zürich', 'Paris', 'Chicago', 'Mumbai']

/** A CSV like csv-with-1000-records.csv, every WorkerID once; managers are earlier rows, so they link. */
export async function writeBenchCsv (file: string, rows: number, firstId = 500_000): Promise<void> {
  const out = createWriteStream(file)
  const write = async (text: string): Promise<void> => { if (!out.write(text)) await once(out, 'drain') }
  await write(`${HEADER}\n`)
  for (let i = 0; i < rows; i++) {
    const id = firstId + i
    const manager = i < 10 ? '' : String(firstId + Math.floor(i / 10))
    const first = `Zoë${i % 97}`
    const last = `Ångström${i % 89}`
    await write(`${id},${i % 13 === 0 ? 'Inactive' : 'Active'},Employee,EMP${id},${first},${last},"${last}, ${first}",${manager},2020-01-${String(i % 28 + 1).padStart(2, '0')},` +
      `${DEPARTMENTS[i % 5]!},Contoso,Engineer,${i} Main St,${CITIES[i % 5]!},DE,+49 89 ${i},${String(10000 + i % 90000)}\n`)
  }
  out.end()
  await once(out, 'finish')
}

function mappingFor (domain: string): object {
  return {
    attributes: {
      externalId: 'WorkerID',
      userName: { template: `{UserID}@${domain}` },
      active: { column: 'WorkerStatus', equals: 'Active' },
      'name.givenName': 'FirstName',
      'name.familyName': 'LastName',
      displayName: 'FullName',
      userType: 'WorkerType',
      title: 'JobTitle',
      'addresses[type=work].streetAddress': 'StreetAddress',
      'addresses[type=work].locality': 'City',
      'addresses[type=work].postalCode': 'ZipCode',
      'addresses[type=work].country': 'CountryCode',
      'phoneNumbers[type=work].value': 'OfficePhone',
      'enterprise:department': 'Department',
      'enterprise:organization': 'Company',
      'enterprise:manager.value': 'ManagerID'
    }
  }
}

export async function measureCsvUpload (options: CsvUploadBenchOptions): Promise<CsvUploadBenchResult> {
  const rows = options.rows ?? 100_000
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scim-csv-bench-'))
  try {
    const csvPath = path.join(dir, 'workers.csv')
    await writeBenchCsv(csvPath, rows)
    await writeFile(path.join(dir, 'mapping.json'), JSON.stringify(mappingFor(options.domain ?? 'contoso.com')))
    const mapping = await loadMappingFile(path.join(dir, 'mapping.json'))
    options.onStart?.()
    const startedAt = process.hrtime.bigint()
    let acceptedAt = startedAt
    const counters = { total: 0, read: 0, sent: 0, accepted: 0, processed: 0, failed: 0 }
    const result = await uploadCsv({
      csvPath,
      mapping,
      url: options.url,
      tokens: staticToken(options.token),
      batchSize: options.batchSize ?? 1000,
      concurrency: options.concurrency ?? 4,
      checkpointPath: path.join(dir, 'checkpoint.jsonl'),
      wait: true,
      counters,
      signal: options.signal,
      onAccepted: () => { if (counters.accepted === rows) acceptedAt = process.hrtime.bigint() }
    })
    const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9
    if (result.accepted.rows !== rows && !result.interrupted) throw new Error(`only ${result.accepted.rows} of ${rows} rows were accepted`)
    // Counted from the outcomes read back, so a run cut short by the signal does not overstate.
    const processed = result.results?.operations ?? 0
    return {
      rows,
      wallSeconds: round(wallSeconds),
      rowsPerSecond: Math.round(processed / wallSeconds),
      acceptedSeconds: round(Number(acceptedAt - startedAt) / 1e9),
      processed,
      failed: result.results?.failureCount ?? 0,
      interrupted: result.interrupted
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const round = (value: number): number => Math.round(value * 100) / 100

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string', default: process.env.SCIM_INBOUND_TOKEN },
      rows: { type: 'string', default: '100000' },
      'batch-size': { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '4' },
      domain: { type: 'string', default: 'contoso.com' }
    }
  })
  if (values.url === undefined || values.token === undefined) {
    process.stderr.write('usage: tsx scripts/bench/csv-upload.ts --url <bulkUpload URL> --token <token> [--rows 100000] [--batch-size 1000] [--concurrency 4] [--domain contoso.com]\n')
    process.exit(2)
  }
  const result = await measureCsvUpload({ url: values.url, token: values.token, rows: Number(values.rows), batchSize: Number(values['batch-size']), concurrency: Number(values.concurrency), domain: values.domain })
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
