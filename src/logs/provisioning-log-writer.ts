import { randomUUID } from 'node:crypto'
import type { DbClient } from '../db/pool.js'
import type { OperationOutcome } from '../provisioning/outcome.js'
import { storeModifiedProperties } from './modified-properties.js'

export interface LogBatchContext {
  requestId: string
  jobId: string
  cycleId: string
  activityAt: Date
  durationMs: number
}

const INSERT_SQL = `INSERT INTO provisioning_logs (id, request_id, operation_index, target_user_id, job_id, cycle_id, change_id,
    activity_at, duration_ms, action, status, error_code, reason, bulk_id, method, source_id, source_display_name,
    target_id, target_display_name, modified_properties, steps)
  SELECT x.id, $1, x.operation_index, x.target_user_id, $2, $3, x.change_id, $4, $5, x.action, x.status, x.error_code,
    x.reason, x.bulk_id, x.method, x.source_id, x.source_display_name, x.target_id, x.target_display_name,
    coalesce(x.modified_properties, '[]'), coalesce(x.steps, '[]')
  FROM json_to_recordset($6::json) AS x(id uuid, operation_index int, target_user_id uuid, change_id uuid, action text,
    status text, error_code text, reason text, bulk_id text, method text, source_id text, source_display_name text,
    target_id uuid, target_display_name text, modified_properties json, steps json)
  ON CONFLICT DO NOTHING`

/**
 * Writes one provisioning log entry per outcome in one statement. The rows travel as one
 * JSON parameter read with json_to_recordset (cheaper than jsonb: the text is scanned,
 * never converted), into json columns that are stored as sent. Entries are keyed by
 * (request, operation[, report]) so processing a request again never duplicates them.
 */
export async function writeProvisioningLogs (client: DbClient, context: LogBatchContext, outcomes: OperationOutcome[]): Promise<void> {
  if (outcomes.length === 0) return
  const rows = outcomes.map(outcome => ({
    id: randomUUID(),
    operation_index: outcome.operationIndex,
    // Reference-resolution entries (index -1) are told apart by the report they concern.
    target_user_id: outcome.operationIndex < 0 ? outcome.targetId : null,
    change_id: randomUUID(),
    action: outcome.action,
    status: outcome.status,
    error_code: outcome.errorCode,
    reason: outcome.reason,
    bulk_id: outcome.bulkId ?? null,
    method: outcome.method,
    source_id: outcome.externalId,
    source_display_name: outcome.sourceDisplayName,
    target_id: outcome.targetId,
    target_display_name: outcome.targetDisplayName,
    modified_properties: storeModifiedProperties(outcome.modifiedProperties),
    steps: outcome.steps
  }))
  await client.query(INSERT_SQL, [context.requestId, context.jobId, context.cycleId, context.activityAt, context.durationMs, JSON.stringify(rows)])
}
