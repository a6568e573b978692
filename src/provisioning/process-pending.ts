import type { Logger } from 'pino'
import type { Db } from '../db/pool.js'
import { processBatch } from './process-batch.js'
import { PreparedRequests } from './prepared-requests.js'

/** A batch takes consecutive waiting requests up to this many operations (at least one request). */
export const BATCH_OPERATIONS = 500
/** …and at most this many requests. */
const BATCH_REQUESTS = 100

export interface PendingResult {
  /** Requests completed by this call. */
  processed: number
  /** The job is not Active (paused, not started, quarantined): its requests wait. */
  jobInactive: boolean
}

export interface PendingOptions {
  log?: Logger
  /**
   * The job's requests prepared ahead, kept from one call to the next: with requests larger
   * than a batch, each call processes a single batch, and the next call's batch is the one
   * prepared while this one was in PostgreSQL.
   */
  prepared?: PreparedRequests
}

interface WaitingRequest {
  id: string
  sequence: number
  operationCount: number
}

/**
 * Processes the job's waiting requests in acceptance order until `requestId` is done. A
 * queue item is a signal that work exists; the order comes from PostgreSQL, so a request
 * re-enqueued late by the sweeper can never overtake an older one. Consecutive requests are
 * processed together in batches (later requests' queue items then find them done), and the
 * next batch is parsed and mapped while the current one is in PostgreSQL.
 *
 * The job's state in PostgreSQL decides whether anything runs: a queue that was resumed a
 * moment too early never processes a paused job's request, and a pause lets the batch in
 * progress finish and stops before the next.
 */
export async function processPendingRequests (db: Db, jobId: string, requestId: string, options: PendingOptions = {}): Promise<PendingResult> {
  const { log } = options
  const { rows: [target] } = await db.query(
    `SELECT sequence FROM bulk_requests WHERE id = $1 AND job_id = $2 AND state IN ('queued', 'processing')`, [requestId, jobId])
  if (target === undefined) return { processed: 0, jobInactive: false }
  const prepared = options.prepared ?? new PreparedRequests()
  let finished = false
  let readingAhead: Promise<void> | undefined
  let processed = 0
  // After a batch fails, requests go one at a time until one succeeds: those before the
  // failing request are applied, and it fails alone (retried alone; later ones wait for it).
  let oneAtATime = false
  try {
    for (;;) {
      const { active, waiting } = await waitingRequests(db, jobId)
      if (waiting.length === 0 || waiting[0]!.sequence > Number(target.sequence)) {
        finished = true
        return { processed, jobInactive: false }
      }
      if (!active) return { processed, jobInactive: true }
      const batch = oneAtATime ? waiting.slice(0, 1) : withinBudget(waiting)
      prepared.retainOnly(new Set(batch.map(request => request.id)))
      readingAhead = prepareNextBatch(db, jobId, batch.at(-1)!.sequence, prepared).catch(err => log?.warn({ err, jobId }, 'could not read the next batch ahead; it will be read when its turn comes'))
      try {
        const result = await processBatch(db, batch.map(request => request.id), { log, prepared })
        if (result.state === 'completed') processed += result.requestIds.length
        oneAtATime = false
      } catch (err) {
        if (batch.length === 1) throw err
        oneAtATime = true
      }
    }
  } finally {
    // Settled before the call ends, so nothing lands in the cache after it was let go.
    await readingAhead
    // What was prepared for the next batch is kept for the next call, which usually starts
    // right there (the job's next queue item); otherwise it is let go.
    if (!finished || options.prepared === undefined) prepared.clear()
  }
}

async function waitingRequests (db: Db, jobId: string, afterSequence = 0): Promise<{ active: boolean, waiting: WaitingRequest[] }> {
  const { rows } = await db.query(
    `SELECT j.status_code, r.id, r.sequence, r.operation_count FROM sync_jobs j LEFT JOIN LATERAL (
       SELECT id, sequence, operation_count FROM bulk_requests
       WHERE job_id = $1 AND state IN ('queued', 'processing') AND sequence > $2 ORDER BY sequence LIMIT $3) r ON true
     WHERE j.id = $1`, [jobId, afterSequence, BATCH_REQUESTS])
  return {
    active: rows[0]?.status_code === 'Active',
    waiting: rows.filter(row => row.id !== null).map(row => ({ id: row.id, sequence: Number(row.sequence), operationCount: row.operation_count }))
  }
}

function withinBudget (waiting: WaitingRequest[]): WaitingRequest[] {
  let operations = 0
  let count = 0
  for (const request of waiting) {
    if (count > 0 && operations + request.operationCount > BATCH_OPERATIONS) break
    operations += request.operationCount
    count++
  }
  return waiting.slice(0, count)
}

/** Reads and prepares the requests that will make the batch after the one ending at `afterSequence`. */
async function prepareNextBatch (db: Db, jobId: string, afterSequence: number, prepared: PreparedRequests): Promise<void> {
  const { waiting } = await waitingRequests(db, jobId, afterSequence)
  const next = withinBudget(waiting).filter(request => !prepared.has(request.id))
  if (next.length === 0) return
  const { rows } = await db.query("SELECT id, payload FROM bulk_requests WHERE id = ANY($1::uuid[]) AND origin = 'client'", [next.map(request => request.id)])
  for (const row of rows) prepared.add(row.id, row.payload)
}
