import type { Db } from '../db/pool.js'
import type { JobQueues } from './job-queues.js'

const SWEEP_BATCH = 5000
const PRESENT_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'])

/**
 * Finds requests committed in PostgreSQL but absent from their queue — Redis restarted
 * empty, the process died between commit and enqueue, or every attempt failed — and
 * enqueues them again. Order is safe: whichever queued item runs first processes the
 * job's oldest waiting request first.
 */
export async function sweepUnqueuedRequests (db: Db, queues: JobQueues, graceMs: number): Promise<number> {
  const { rows: jobs } = await db.query(
    `SELECT job_id, count(*)::int AS pending,
            count(*) FILTER (WHERE received_at < clock_timestamp() - $1 * interval '1 millisecond')::int AS overdue
     FROM bulk_requests WHERE state IN ('queued', 'processing') GROUP BY job_id`, [graceMs])
  let requeued = 0
  for (const job of jobs) {
    if (job.overdue === 0) continue
    // One call answers the common case: the queue holds at least as many items as there
    // are waiting requests, so none is missing and no per-request look-up is needed.
    const counts = await queues.get(job.job_id).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children')
    const queued = Object.values(counts).reduce((sum, count) => sum + count, 0)
    if (queued >= job.pending) continue
    requeued += await requeueMissing(db, queues, job.job_id, graceMs)
  }
  return requeued
}

async function requeueMissing (db: Db, queues: JobQueues, jobId: string, graceMs: number): Promise<number> {
  const { rows } = await db.query(
    `SELECT id, received_at FROM bulk_requests
     WHERE job_id = $1 AND state IN ('queued', 'processing') AND received_at < clock_timestamp() - $2 * interval '1 millisecond'
     ORDER BY sequence LIMIT ${SWEEP_BATCH}`, [jobId, graceMs])
  const queue = queues.get(jobId)
  let requeued = 0
  for (const row of rows) {
    const state = await queue.getJobState(row.id)
    if (PRESENT_STATES.has(state)) continue
    if (state === 'failed' || state === 'completed') await (await queue.getJob(row.id))?.remove()
    await queues.enqueue({ requestId: row.id, jobId, acceptedAt: new Date(row.received_at).getTime() })
    requeued++
  }
  return requeued
}
