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
  const { rows: logs } = await db.query<LogRow & { bulk_id: string | null, method: 'POST' | 'DELETE', source_id: string | null }>(
    `SELECT id, operation_index, action, status, error_code, reason, target_id, bulk_id, method, source_id FROM provisioning_logs
     WHERE request_id = $1 AND operation_index >= 0 AND target_user_id IS NULL ORDER BY operation_index`, [requestId])
  const waiting = request.state === 'purged' ? 'purged' : 'pending'
  let operations: OperationStatus[]
  if (logs.length === request.operation_count) {
    operations = logs.map(log => operationStatus({ index: log.operation_index, bulkId: log.bulk_id, method: log.method, externalId: log.source_id }, log, waiting))
  } else {
    const logByIndex = new Map<number, LogRow>(logs.map(log => [log.operation_index, log]))
    operations = (await operationIdentities(db, requestId)).map(op => operationStatus(op, logByIndex.get(op.index), waiting))
  }
  return {
    id: request.id,
    jobId: request.job_id,
    state: request.state,
    receivedDateTime: request.received_at.toISOString(),
    completedDateTime: request.completed_at === null ? null : request.completed_at.toISOString(),
    operationCount: request.operation_count,
    operations
  }
}

interface LogRow {
  id: string
  operation_index: number
  action: string
  status: OperationStatus['status']
  error_code: string | null
  reason: string | null
  target_id: string | null
}

// One object literal for every operation: status resources list up to thousands of them, read
// again and again while an uploader waits, so they are built in one shape, without a spread.
function operationStatus (op: OperationIdentity, log: LogRow | undefined, waiting: 'pending' | 'purged'): OperationStatus {
  return {
    index: op.index,
    bulkId: op.bulkId,
    method: op.method,
    externalId: op.externalId,
    action: log?.action ?? null,
    status: log?.status ?? waiting,
    errorCode: log?.error_code ?? null,
    reason: log?.reason ?? null,
    targetId: log?.target_id ?? null,
    logId: log?.id ?? null
  }
}
