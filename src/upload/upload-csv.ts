import { batchesOf, type Batch, type ValidRow } from './bulk-request.js'
import { checkFile, rowsToSend, type FileCheck } from './check-file.js'
import { Checkpoint, type AcceptedRequest } from './checkpoint.js'
import { openCsv } from './csv-reader.js'
import { compileMapping, type RowResult } from './csv-to-scim.js'
import type { Mapping } from './mapping-file.js'
import type { ProgressCounters } from './progress.js'
import { ResultSummary, type ReportWriter } from './report.js'
import { RowSet } from './row-ranges.js'
import { RetryGate, type RetryEvent } from './service-call.js'
import type { TokenProvider } from './token-provider.js'
import { sendBatches } from './uploader.js'
import { ResultFollower, type OperationResult } from './wait-for-results.js'

export interface UploadCsvOptions {
  csvPath: string
  mapping: Mapping
  /** Named in messages about the mapping (its file name). */
  mappingSource?: string
  /** The job's bulkUpload URL. */
  url: string
  tokens: TokenProvider
  delimiter?: string
  /** Operations per request (default 50, Entra's limit). */
  batchSize?: number
  /** Requests in flight (default 4). */
  concurrency?: number
  /** Send the valid rows even when some rows are invalid. */
  skipInvalid?: boolean
  /** The journal of accepted requests; null for none (nothing to resume from). */
  checkpointPath?: string | null
  /** Replace the checkpoint instead of resuming from it. */
  startOver?: boolean
  /** Follow every request until processed. */
  wait?: boolean
  report?: ReportWriter
  maxRetries?: number
  timeoutMs?: number
  signal?: AbortSignal
  fetch?: typeof fetch
  /** Updated as the run goes, for a progress display. */
  counters?: ProgressCounters
  onChecked?: (check: FileCheck) => void
  /** Rows are about to be sent or followed (after the check, when there is something to do). */
  onStart?: (counters: ProgressCounters) => void
  onInvalidRow?: (result: Extract<RowResult, { ok: false }>) => void
  onRetry?: (event: RetryEvent) => void
  onStall?: (request: AcceptedRequest, waitedMs: number) => void
  /** A request was accepted (after it is in the checkpoint). */
  onAccepted?: (request: AcceptedRequest) => void
  onResults?: (results: OperationResult[]) => void
}

export interface UploadCsvResult {
  check: FileCheck
  /** Invalid rows and no skipInvalid: nothing was sent. */
  stoppedForInvalidRows: boolean
  /** The checkpoint says an earlier run got every row accepted: nothing was sent. */
  alreadyComplete: boolean
  /** Requests and rows accepted by this run, and by earlier runs of the same upload. */
  accepted: { requests: number, rows: number }
  previouslyAccepted: { requests: number, rows: number }
  interrupted: boolean
  /** With wait: outcomes per action × status and the failed records. */
  results?: ResultSummary
  /** Seconds spent checking the file, sending (until the last request was accepted), and in all. */
  seconds: { check: number, send: number, total: number }
}

export const DEFAULT_BATCH_SIZE = 50
export const DEFAULT_CONCURRENCY = 4
export const DEFAULT_MAX_RETRIES = 8
export const DEFAULT_TIMEOUT_MS = 300_000

export function defaultCheckpointPath (csvPath: string): string {
  return `${csvPath}.checkpoint.jsonl`
}

/**
 * The whole upload of a CSV file: check every row, then send the valid ones (minus those an
 * earlier run got accepted) in ordered, concurrent batches, recording each accepted request
 * in the checkpoint, and optionally follow every request to its outcome.
 */
export async function uploadCsv (options: UploadCsvOptions): Promise<UploadCsvResult> {
  const counters = options.counters ?? { total: 0, read: 0, sent: 0, accepted: 0, processed: 0, failed: 0 }
  const startedAt = Date.now()
  const since = (moment: number): number => (Date.now() - moment) / 1000
  const check = await checkFile(options.csvPath, options.mapping, {
    delimiter: options.delimiter,
    mappingSource: options.mappingSource,
    signal: options.signal,
    onInvalidRow: result => {
      for (const problem of result.problems) options.report?.invalid(problem, result.externalId)
      options.onInvalidRow?.(result)
    }
  })
  options.onChecked?.(check)
  const result: UploadCsvResult = {
    check, stoppedForInvalidRows: false, alreadyComplete: false, accepted: { requests: 0, rows: 0 },
    previouslyAccepted: { requests: 0, rows: 0 }, interrupted: check.interrupted,
    seconds: { check: since(startedAt), send: 0, total: 0 }
  }
  if (check.interrupted || (check.invalid > 0 && options.skipInvalid !== true)) {
    result.stoppedForInvalidRows = !check.interrupted
    result.seconds.total = since(startedAt)
    return result
  }
  const checkpoint = options.checkpointPath === null
    ? undefined
    : Checkpoint.open(options.checkpointPath ?? defaultCheckpointPath(options.csvPath),
      { sha256: check.sha256, size: check.size, mapping: options.mapping.fingerprint, url: options.url }, { startOver: options.startOver })
  // Stops the follower when the upload fails, as well as on the caller's signal.
  const stop = new AbortController()
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
  const gate = new RetryGate()
  const call = {
    tokens: options.tokens, gate, signal, fetch: options.fetch, onRetry: options.onRetry,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }
  const summary = new ResultSummary()
  const follower = options.wait === true
    ? new ResultFollower({
      ...call,
      onStall: options.onStall,
      onResults: results => {
        summary.add(results)
        for (const outcome of results) options.report?.result(outcome)
        counters.processed += results.length
        counters.failed += results.filter(outcome => outcome.status === 'failure').length
        options.onResults?.(results)
      }
    })
    : undefined
  try {
    for (const request of checkpoint?.previous ?? []) {
      result.previouslyAccepted.requests++
      result.previouslyAccepted.rows += request.operations
      follower?.follow(request)
    }
    result.alreadyComplete = checkpoint?.completed === true
    counters.total = rowsToSend(check.validRows, checkpoint?.acceptedRows ?? new RowSet())
    if (options.wait === true) counters.total += result.previouslyAccepted.rows
    if (counters.total > 0) options.onStart?.(counters)
    if (!result.alreadyComplete && check.valid > 0) {
      const sendingAt = Date.now()
      const csv = await openCsv(options.csvPath, { delimiter: check.delimiter })
      const convert = compileMapping(options.mapping, csv.header, options.mappingSource)
      const accepted = checkpoint?.acceptedRows
      async function * rowsToUpload (): AsyncGenerator<ValidRow> {
        for await (const record of csv.rows) {
          counters.read++
          if (accepted?.has(record.row) === true) continue
          const converted = convert(record)
          if (converted.ok) yield converted
        }
      }
      const outcome = await sendBatches(batchesOf(rowsToUpload(), options.batchSize ?? DEFAULT_BATCH_SIZE), {
        ...call,
        signal: options.signal,
        url: options.url,
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
        onSending: (batch: Batch) => { counters.sent += batch.operationCount },
        onAccepted: (batch: Batch, request: AcceptedRequest) => {
          checkpoint?.recordAccepted(request)
          counters.accepted += batch.operationCount
          result.accepted.requests++
          result.accepted.rows += batch.operationCount
          follower?.follow(request)
          options.onAccepted?.(request)
        }
      }).catch((err: unknown) => { stop.abort(); throw err })
      result.interrupted = outcome.interrupted
      result.seconds.send = since(sendingAt)
    }
    if (!result.interrupted) checkpoint?.markCompleted()
    if (follower !== undefined) {
      await follower.finish()
      result.results = summary
      result.interrupted ||= options.signal?.aborted === true
    }
    result.seconds.total = since(startedAt)
    return result
  } finally {
    if (follower !== undefined && stop.signal.aborted) await follower.finish().catch(() => {})
    checkpoint?.close()
  }
}
