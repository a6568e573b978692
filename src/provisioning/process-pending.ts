import type { Logger } from 'pino'
import type { Db } from '../db/pool.js'
import { processRequest } from './process-request.js'

/**
 * Processes the job's waiting requests in acceptance order up to and including
 * `requestId`. A queue item is a signal that work exists; the order comes from
 * PostgreSQL, so a request re-enqueued late by the sweeper can never overtake an older one.
 */
export async function processPendingRequests (db: Db, jobId: string, requestId: string, log?: Logger): Promise<{ processed: number }> {
  const { rows: [target] } = await db.query(
    `SELECT sequence FROM bulk_requests WHERE id = $1 AND job_id = $2 AND state IN ('queued', 'processing')`, [requestId, jobId])
  if (target === undefined) return { processed: 0 }
  let processed = 0
  for (;;) {
    const { rows: [next] } = await db.query(
      `SELECT id FROM bulk_requests WHERE job_id = $1 AND state IN ('queued', 'processing') AND sequence <= $2
       ORDER BY sequence LIMIT 1`, [jobId, target.sequence])
    if (next === undefined) return { processed }
    const result = await processRequest(db, next.id, log)
    if (result.state === 'completed') processed++
  }
}
