import type { Db } from '../db/pool.js'
import { operationIdentities, type OperationIdentity } from './operation-identities.js'

export interface OperationStatus {
  index: number
  bulkId: string | null
  method: 'POST' | 'DELETE'
  externalId: string | null
  action: string | null
  status: 'pending' | 'success' | 'failure' | 'skipped' | 'warning' | 'purged'
  errorCode: string | null
  reason: string | null
  targetId: string | null
  logId: string | null
}

export interface RequestStatus {
  id: string
  jobId: string
  state: 'queued' | 'processing' | 'completed' | 'purged'
  receivedDateTime: string
  completedDateTime: string | null
  operationCount: number
  operations: OperationStatus[]
}

/**
 * The status resource of one accepted request: its state and, per operation, the outcome
 * read from the provisioning log (or `pending` while it waits). Once every operation is
 * logged, the log alone answers: it holds each operation's bulkId, method and externalId,
 * so the payload is not read again.
 */
export async function getRequestStatus (db: Db, jobId: string, requestId: string): Promise<RequestStatus | undefined> {
  const { rows: [request] } = await db.query(
    'SELECT id, job_id, state, operation_count, received_at, completed_at FROM bulk_requests WHERE id = $1 AND job_id = $2', [requestId, jobId])
  if (request === undefined) return undefined
  const { rows: logs } = await db.query(
    `SELECT id, operation_index, action, status, error_code, reason, target_id, bulk_id, method, source_id FROM provisioning_logs
     WHERE request_id = $1 AND operation_index >= 0 AND target_user_id IS NULL ORDER BY operation_index`, [requestId])
  const fullyLogged = logs.length === request.operation_count
  const operations: OperationIdentity[] = fullyLogged
    ? logs.map(log => ({ index: log.operation_index, bulkId: log.bulk_id, method: log.method, externalId: log.source_id }))
    : await operationIdentities(db, requestId)
  const logByIndex = new Map(logs.map(log => [log.operation_index as number, log]))
  const waiting = request.state === 'purged' ? 'purged' : 'pending'
  return {
    id: request.id,
    jobId: request.job_id,
    state: request.state,
    receivedDateTime: request.received_at.toISOString(),
    completedDateTime: request.completed_at === null ? null : request.completed_at.toISOString(),
    operationCount: request.operation_count,
    operations: operations.map(op => {
      const log = logByIndex.get(op.index)
      return {
        ...op,
        action: log?.action ?? null,
        status: log?.status ?? waiting,
        errorCode: log?.error_code ?? null,
        reason: log?.reason ?? null,
        targetId: log?.target_id ?? null,
        logId: log?.id ?? null
      }
    })
  }
}
