import { showProgress, type ProgressCounters } from './progress.js'
import { ReportWriter } from './report.js'
import type { RetryEvent } from './service-call.js'
import type { Mapping } from './mapping-file.js'
import type { TokenProvider } from './token-provider.js'
import { count, describeDelimiter, describeProblem, rate, write } from './command-text.js'
import { defaultCheckpointPath, uploadCsv, type UploadCsvResult } from './upload-csv.js'

export interface UploadRun {
  csvPath: string
  mapping: Mapping
  mappingSource: string
  url: string
  tokens: TokenProvider
  delimiter?: string
  batchSize: number
  concurrency: number
  skipInvalid: boolean
  checkpoint?: string
  startOver: boolean
  wait: boolean
  report?: string
  maxRetries: number
  timeoutMs: number
  quiet: boolean
  signal: AbortSignal
}

const ROWS_LISTED = 50
const RETRY_NOTE_EVERY_MS = 2000

/** The upload itself, with its messages: problems, progress, retries, then the outcome. Returns the exit status. */
export async function runUpload (run: UploadRun): Promise<number> {
  const report = run.report !== undefined ? new ReportWriter(run.report) : undefined
  const counters: ProgressCounters = { total: 0, read: 0, sent: 0, accepted: 0, processed: 0, failed: 0 }
  let progress: ReturnType<typeof showProgress> | undefined
  const note = (message: string): void => { if (progress !== undefined) progress.note(message); else process.stderr.write(`${message}\n`) }
  let problems = 0
  const checkpointPath = run.checkpoint ?? defaultCheckpointPath(run.csvPath)
  let result: UploadCsvResult
  try {
    result = await uploadCsv({
      ...run,
      checkpointPath,
      report,
      counters,
      onInvalidRow: invalid => {
        for (const problem of invalid.problems) if (problems++ < ROWS_LISTED) note(describeProblem(problem))
      },
      onChecked: check => {
        if (problems > ROWS_LISTED) note(`… and ${problems - ROWS_LISTED} more problems${report !== undefined ? ` (all in ${report.path})` : ''}`)
        note(`Checked ${count(check.rows, 'row')} of ${run.csvPath} (delimiter ${describeDelimiter(check.delimiter)}): ${count(check.valid, 'valid row')}, ${count(check.invalid, 'invalid row')}.`)
      },
      onStart: () => { if (!run.quiet) progress = showProgress(counters, { stream: process.stderr, waiting: run.wait }) },
      onRetry: retryNotes(note),
      onStall: (request, waitedMs) => note(`Request ${request.requestId} has not been processed after ${Math.round(waitedMs / 1000)} s: is the job started (POST …/start)? Still waiting (Ctrl-C stops; the upload is kept).`)
    })
  } finally {
    progress?.stop()
    report?.close()
  }
  return await finish(result, { csvPath: run.csvPath, checkpointPath, report, skipInvalid: run.skipInvalid })
}

async function finish (result: UploadCsvResult, context: { csvPath: string, checkpointPath: string, report?: ReportWriter, skipInvalid: boolean }): Promise<number> {
  const { check } = result
  const lines: string[] = []
  if (result.stoppedForInvalidRows) {
    process.stderr.write(`Nothing was sent: ${count(check.invalid, 'row')} ${check.invalid === 1 ? 'is' : 'are'} invalid. Fix ${check.invalid === 1 ? 'it' : 'them'}, or pass --skip-invalid to send the ${count(check.valid, 'valid row')}.\n`)
    if (context.report !== undefined) process.stderr.write(`Report: ${context.report.path}\n`)
    return 1
  }
  if (result.interrupted && result.accepted.requests === 0 && result.previouslyAccepted.requests === 0 && !result.alreadyComplete) {
    process.stderr.write('Interrupted before anything was accepted.\n')
    return 130
  }
  const { send, total } = result.seconds
  if (result.previouslyAccepted.requests > 0 && !result.alreadyComplete) {
    lines.push(`Resumed: ${count(result.previouslyAccepted.rows, 'row')} had been accepted by an earlier run (${count(result.previouslyAccepted.requests, 'request')}).`)
  }
  if (result.alreadyComplete) {
    lines.push(`Every row of ${context.csvPath} was already accepted (${count(result.previouslyAccepted.requests, 'request')}, checkpoint ${context.checkpointPath}); nothing was sent. Pass --start-over to send it all again.`)
  } else {
    lines.push(`Accepted: ${count(result.accepted.rows, 'row')} in ${count(result.accepted.requests, 'request')} (${send.toFixed(1)} s, ${rate(result.accepted.rows, send)} rows/s).` +
      `${check.invalid > 0 && context.skipInvalid ? ` ${count(check.invalid, 'invalid row')} skipped.` : ''}`)
  }
  if (result.interrupted) {
    lines.push(`Interrupted. Accepted requests are recorded in ${context.checkpointPath}; run the same command again to send the rest.`)
    await write(process.stdout, lines.join('\n') + '\n')
    return 130
  }
  if (result.results !== undefined) {
    lines.push(`Processed: ${count(result.results.operations, 'operation')} (${total.toFixed(1)} s from the start, ${rate(result.results.operations, total)} rows/s)`)
    lines.push(result.results.format())
  }
  if (context.report !== undefined) lines.push(`Report: ${context.report.path}`)
  await write(process.stdout, lines.join('\n') + '\n')
  return result.results !== undefined && result.results.failureCount > 0 ? 3 : 0
}

/** Retries are worth knowing about, but a throttling storm must not flood the terminal. */
function retryNotes (note: (message: string) => void): (event: RetryEvent) => void {
  let lastAt = 0
  let suppressed = 0
  return event => {
    if (Date.now() - lastAt < RETRY_NOTE_EVERY_MS) { suppressed++; return }
    lastAt = Date.now()
    note(`${event.what}: ${event.status !== undefined ? `${event.status} ` : ''}${event.reason}; retrying in ${(event.delayMs / 1000).toFixed(1)} s${suppressed > 0 ? ` (${suppressed} other retries since the last note)` : ''}`)
    suppressed = 0
  }
}
