import type { Logger } from 'pino'
import type { Db } from '../db/pool.js'
import { processRequest } from './process-request.js'

export interface PendingResult {
  processed: number
  /** The job is not Active (paused, not started, quarantined): its requests wait. */
  jobInactive: boolean
}

/**
 * Processes the job's waiting requests in acceptance order up to and including
 * `requestId`. A queue item is a signal that work exists; the order comes from
 * PostgreSQL, so a request re-enqueued late by the sweeper can never overtake an older one.
 * The job's state in PostgreSQL decides whether anything runs: a queue that was resumed a
 * moment too early never processes a paused job's request, and a pause lets the request in
 * progress finish and stops before the next.
 */
export async function processPendingRequests (db: Db, jobId: string, requestId: string, log?: Logger): Promise<PendingResult> {
  const { rows: [target] } = await db.query(
    `SELECT sequence FROM bulk_requests WHERE id = $1 AND job_id = $2 AND state IN ('queued', 'processing')`, [requestId, jobId])
  if (target === undefined) return { processed: 0, jobInactive: false }
  let processed = 0
  for (;;) {
    const { rows: [next] } = await db.query(
      `SELECT j.status_code, (SELECT id FROM bulk_requests WHERE job_id = $1 AND state IN ('queued', 'processing') AND sequence <= $2
                              ORDER BY sequence LIMIT 1) AS id
       FROM sync_jobs j WHERE j.id = $1`, [jobId, target.sequence])
    if (next === undefined || next.id === null) return { processed, jobInactive: false }
    if (next.status_code !== 'Active') return { processed, jobInactive: true }
    const result = await processRequest(db, next.id, log)
    if (result.state === 'completed') processed++
  }
}
