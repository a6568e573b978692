import { randomUUID } from 'node:crypto'
import { v7 as timeOrderedUuid } from 'uuid'
import type { DbClient } from '../db/pool.js'
import type { OperationOutcome } from '../provisioning/outcome.js'
import { storeModifiedProperties } from './modified-properties.js'
import { storeSteps } from './stored-steps.js'

/** One log entry to write: what happened to an operation of a request. */
export interface LogEntry {
  requestId: string
  outcome: OperationOutcome
  /**
   * A later entry about an operation already logged (a staged delete applied by a restart):
   * told apart from the first by its target user.
   */
  followUp?: boolean
}

export interface LogBatchContext {
  jobId: string
  cycleId: string
  activityAt: Date
  durationMs: number
}

const INSERT_SQL = `INSERT INTO provisioning_logs (id, request_id, operation_index, target_user_id, job_id, cycle_id, change_id,
    activity_at, duration_ms, action, status, error_code, reason, bulk_id, method, source_id, source_display_name,
    target_id, target_display_name, modified_properties, steps)
  SELECT x.id, x.request_id, x.operation_index, x.target_user_id, $1, $2, x.change_id, $3, $4, x.action, x.status, x.error_code,
    x.reason, x.bulk_id, x.method, x.source_id, x.source_display_name, x.target_id, x.target_display_name,
    coalesce(x.modified_properties, '[]'), coalesce(x.steps, '[]')
  FROM json_to_recordset($5::json) AS x(id uuid, request_id uuid, operation_index int, target_user_id uuid, change_id uuid,
    action text, status text, error_code text, reason text, bulk_id text, method text, source_id text,
    source_display_name text, target_id uuid, target_display_name text, modified_properties json, steps json)`

/**
 * Encodes log entries as the one JSON parameter the insert reads. Separate from the write
 * so the encoding can happen while PostgreSQL is busy with the statements before it.
 */
export function encodeLogEntries (entries: LogEntry[]): string {
  return JSON.stringify(entries.map(({ requestId, outcome, followUp }) => ({
    // Time-ordered: new entries land at the right edge of the primary key's index instead
    // of on a random page of it.
    id: timeOrderedUuid(),
    request_id: requestId,
    operation_index: outcome.operationIndex,
    // Reference-resolution entries (index -1) are told apart by the report they concern.
    target_user_id: outcome.operationIndex < 0 || followUp === true ? outcome.targetId : null,
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
    steps: storeSteps(outcome.steps)
  })))
}

/**
 * Writes encoded log entries in one statement: the rows travel as one JSON parameter read
 * with json_to_recordset (the text is scanned, never converted to jsonb) into json columns
 * stored as sent. Written in the transaction that completes their requests, so a request's
 * entries exist exactly once: a rolled-back attempt leaves none, a completed request is never
 * processed again, and the unique (request, operation[, report]) index would refuse a second set.
 */
export async function writeProvisioningLogs (client: DbClient, context: LogBatchContext, encodedEntries: string): Promise<void> {
  if (encodedEntries === '[]') return
  await client.query(INSERT_SQL, [context.jobId, context.cycleId, context.activityAt, context.durationMs, encodedEntries])
}
