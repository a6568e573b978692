import type { Db } from '../db/pool.js'
import type { JobQueues } from './job-queues.js'

const SWEEP_BATCH = 5000

/**
 * Finds requests committed in PostgreSQL but absent from their queue — Redis restarted
 * empty, the process died between commit and enqueue, or every attempt failed — and
 * enqueues them again. Order is safe: whichever queued item runs first processes the
 * job's oldest waiting request first.
 */
export async function sweepUnqueuedRequests (db: Db, queues: JobQueues, graceMs: number): Promise<number> {
  const { rows } = await db.query(
    `SELECT id, job_id, received_at FROM bulk_requests
     WHERE state IN ('queued', 'processing') AND received_at < clock_timestamp() - $1 * interval '1 millisecond'
     ORDER BY job_id, sequence LIMIT ${SWEEP_BATCH}`, [graceMs])
  let requeued = 0
  for (const row of rows) {
    const queue = queues.get(row.job_id)
    const state = await queue.getJobState(row.id)
    if (state === 'waiting' || state === 'active' || state === 'delayed' || state === 'prioritized' || state === 'paused' || state === 'waiting-children') continue
    if (state === 'failed' || state === 'completed') await (await queue.getJob(row.id))?.remove()
    await queues.enqueue({ requestId: row.id, jobId: row.job_id, acceptedAt: new Date(row.received_at).getTime() })
    requeued++
  }
  return requeued
}
