import type { Db } from '../db/pool.js'
import type { JobQueues } from '../queue/job-queues.js'

export interface AcceptedRequest {
  requestId: string
  jobId: string
  /** The body as received; stored as is so nothing is re-encoded on the hot path. */
  payload: string
  operationCount: number
  clientId: string
}

/**
 * Durable acceptance: the request is committed to PostgreSQL before the caller answers 202;
 * enqueueing comes after and may fail (queue down) without losing anything, because the
 * sweeper enqueues what is committed but not queued.
 */
export async function acceptBulkRequest (db: Db, queues: JobQueues, request: AcceptedRequest, log: { warn: (details: object, message: string) => void }): Promise<void> {
  await db.query({
    // A named statement: each connection prepares it once and, after a few runs, executes a
    // generic plan that reads the payload where it arrived. An unnamed one is planned anew
    // every time with the payload folded in as a constant, which copies the body twice more
    // inside PostgreSQL: for a 1.2 MB body, 15–21 ms of its CPU against 3–6.
    name: 'accept-bulk-request',
    text: 'INSERT INTO bulk_requests (id, job_id, payload, operation_count, client_id) VALUES ($1, $2, $3, $4, $5)',
    values: [request.requestId, request.jobId, request.payload, request.operationCount, request.clientId]
  })
  try {
    await queues.enqueue({ requestId: request.requestId, jobId: request.jobId, acceptedAt: Date.now() })
  } catch (err) {
    log.warn({ err, requestId: request.requestId }, 'accepted request not enqueued now; the sweeper will enqueue it')
  }
}
