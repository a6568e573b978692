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
  await db.query(
    'INSERT INTO bulk_requests (id, job_id, payload, operation_count, client_id) VALUES ($1, $2, $3, $4, $5)',
    [request.requestId, request.jobId, request.payload, request.operationCount, request.clientId])
  try {
    await queues.enqueue({ requestId: request.requestId, jobId: request.jobId, acceptedAt: Date.now() })
  } catch (err) {
    log.warn({ err, requestId: request.requestId }, 'accepted request not enqueued now; the sweeper will enqueue it')
  }
}
