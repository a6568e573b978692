import { rowOfBulkId, type Batch } from './bulk-request.js'
import type { AcceptedRequest } from './checkpoint.js'
import { describeRanges } from './row-ranges.js'
import { callService, Interrupted, RetryGate, ServiceError, type CallOptions } from './service-call.js'

export interface UploaderOptions extends Omit<CallOptions, 'gate'> {
  /** The job's bulkUpload URL. */
  url: string
  /** Requests in flight at most. */
  concurrency: number
  gate?: RetryGate
  /** A batch goes out for the first time. */
  onSending?: (batch: Batch) => void
  /** The service accepted a batch (202): record it before anything that depends on it is sent. */
  onAccepted: (batch: Batch, request: AcceptedRequest) => void
}

export interface UploadOutcome {
  batches: number
  operations: number
  /** Stopped by the signal: the batches not accepted are for a later run. */
  interrupted: boolean
}

/** The service refused a batch for good (400, 403, 413…); what it said, with rows for its details. */
export class BatchRefused extends Error {
  constructor (readonly batch: Batch, readonly refusal: ServiceError) {
    super(describeRefusal(batch, refusal))
  }
}

type Settled = { batch: Batch, request: AcceptedRequest } | { batch: Batch, error: unknown }

/**
 * Sends batches with up to `concurrency` requests in flight, in file order as far as it
 * matters: the service applies a job's requests in the order it accepts them, so a batch
 * holding an externalId that an earlier batch also holds is sent only once that earlier batch
 * is accepted; batches with nothing in common go out side by side. Batches are pulled from
 * the source only as the window needs them (at most twice the concurrency formed and not
 * accepted), so a large file is never read ahead. A refused batch stops the run: nothing new
 * is sent, the requests in flight finish and are recorded, then the refusal is thrown.
 */
export async function sendBatches (batches: AsyncIterable<Batch>, options: UploaderOptions): Promise<UploadOutcome> {
  const source = batches[Symbol.asyncIterator]()
  const gate = options.gate ?? new RetryGate()
  const maxFormed = options.concurrency * 2
  /** externalId → the latest batch holding it that is not accepted yet. */
  const holder = new Map<string, number>()
  const unaccepted = new Set<number>()
  const waiting: Array<{ batch: Batch, after: number[] }> = []
  const inFlight = new Map<number, Promise<Settled>>()
  const outcome: UploadOutcome = { batches: 0, operations: 0, interrupted: false }
  let exhausted = false
  let failure: unknown

  const stopping = (): boolean => failure !== undefined || options.signal?.aborted === true
  const send = (batch: Batch): Promise<Settled> => {
    options.onSending?.(batch)
    return postBatch(batch, options, gate).then(request => ({ batch, request }), (error: unknown) => ({ batch, error }))
  }
  const startReady = (): void => {
    for (let i = 0; i < waiting.length && inFlight.size < options.concurrency && !stopping();) {
      const entry = waiting[i]!
      if (entry.after.some(sequence => unaccepted.has(sequence))) { i++; continue }
      waiting.splice(i, 1)
      inFlight.set(entry.batch.sequence, send(entry.batch))
    }
  }

  try {
    for (;;) {
      while (!exhausted && !stopping() && waiting.length + inFlight.size < maxFormed) {
        let next: IteratorResult<Batch>
        try {
          next = await source.next()
        } catch (err) {
          // The requests in flight still finish and are recorded before this is thrown.
          failure ??= err
          break
        }
        if (next.done === true) { exhausted = true; break }
        const batch = next.value
        const after = new Set<number>()
        for (const externalId of batch.externalIds) {
          const earlier = holder.get(externalId)
          if (earlier !== undefined) after.add(earlier)
          holder.set(externalId, batch.sequence)
        }
        unaccepted.add(batch.sequence)
        waiting.push({ batch, after: [...after] })
        startReady()
      }
      startReady()
      // With nothing in flight, the first waiting batch waits on no one (all before it are
      // accepted), so an empty window means the run is over or stopping.
      if (inFlight.size === 0) break
      const settled = await Promise.race(inFlight.values())
      inFlight.delete(settled.batch.sequence)
      if ('error' in settled) {
        if (!(settled.error instanceof Interrupted)) failure ??= settled.error
        continue
      }
      const { batch, request } = settled
      options.onAccepted(batch, request)
      unaccepted.delete(batch.sequence)
      for (const externalId of batch.externalIds) if (holder.get(externalId) === batch.sequence) holder.delete(externalId)
      outcome.batches++
      outcome.operations += batch.operationCount
    }
  } finally {
    await source.return?.(undefined)
  }
  if (failure !== undefined) throw failure
  outcome.interrupted = options.signal?.aborted === true && (!exhausted || unaccepted.size > 0)
  return outcome
}

async function postBatch (batch: Batch, options: UploaderOptions, gate: RetryGate): Promise<AcceptedRequest> {
  const what = `rows ${describeRanges(batch.rows)}`
  try {
    const response = await callService(what, {
      method: 'POST',
      url: options.url,
      headers: { 'content-type': 'application/scim+json', accept: 'application/json' },
      body: batch.body
    }, { ...options, gate })
    const requestId = response.headers.get('request-id') ?? ''
    const location = response.headers.get('location') ?? ''
    return { rows: batch.rows, requestId, location: location === '' ? '' : new URL(location, options.url).toString(), operations: batch.operationCount }
  } catch (err) {
    throw err instanceof ServiceError ? new BatchRefused(batch, err) : err
  }
}

function describeRefusal (batch: Batch, error: ServiceError): string {
  const lines = [error.message]
  for (const detail of error.details.slice(0, 20)) {
    const row = rowOfBulkId(typeof detail.bulkId === 'string' ? detail.bulkId : undefined)
    lines.push(`  ${row !== undefined ? `row ${row}` : 'request'}${typeof detail.target === 'string' && detail.target !== '' ? ` (${detail.target})` : ''}: ${String(detail.message ?? detail.code ?? '')}`)
  }
  if (error.details.length > 20) lines.push(`  … and ${error.details.length - 20} more`)
  if (error.status === 413) lines.push(`The job takes fewer operations or bytes per request: lower --batch-size (this request had ${batch.operationCount}).`)
  if (error.status === 401 || error.status === 403) lines.push('Check the token: it needs the role SynchronizationData-User.Upload (or …Upload.OwnedBy as an owner of the app).')
  if (error.status === 404) lines.push('Check --url: it is the job\'s bulkUpload URL, …/servicePrincipals/{id}/synchronization/jobs/{jobId}/bulkUpload.')
  return lines.join('\n')
}
