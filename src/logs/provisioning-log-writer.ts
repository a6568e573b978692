import { randomUUID } from 'node:crypto'
import { v7 as timeOrderedUuid } from 'uuid'
import { copyJson, copyPlain, copyText, joinRows, startCopyRows, type CopyInProgress } from '../db/copy-rows.js'
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

/** The columns each entry fills, then those its batch fills (see `writeProvisioningLogs`). */
const ENTRY_COLUMNS = ['id', 'request_id', 'operation_index', 'target_user_id', 'change_id', 'action', 'status', 'error_code', 'reason',
  'bulk_id', 'method', 'source_id', 'source_display_name', 'target_id', 'target_display_name', 'modified_properties', 'steps'] as const
const BATCH_COLUMNS = ['job_id', 'cycle_id', 'activity_at', 'duration_ms'] as const
const COLUMNS = [...ENTRY_COLUMNS, ...BATCH_COLUMNS]

/**
 * Encodes log entries as rows of COPY text, in bytes, without the columns their batch fills.
 * Separate from the write so the encoding, bytes included, happens while PostgreSQL is busy
 * with the statements before it; the write only joins them. Modified properties and steps
 * are stored as the JSON text made here: nobody else writes them, so PostgreSQL need not
 * check that JSON again.
 */
export function encodeLogEntries (entries: LogEntry[]): Buffer[] {
  return entries.map(({ requestId, outcome, followUp }) => Buffer.from(
    // Time-ordered: new entries land at the right edge of the primary key's index instead
    // of on a random page of it.
    `${timeOrderedUuid()}\t${requestId}\t${outcome.operationIndex}\t` +
    // Reference-resolution entries (index -1) are told apart by the report they concern.
    `${copyPlain(outcome.operationIndex < 0 || followUp === true ? outcome.targetId : null)}\t${randomUUID()}\t` +
    `${outcome.action}\t${outcome.status}\t${copyText(outcome.errorCode)}\t${copyText(outcome.reason)}\t${copyText(outcome.bulkId)}\t` +
    `${copyPlain(outcome.method)}\t${copyText(outcome.externalId)}\t${copyText(outcome.sourceDisplayName)}\t` +
    `${copyPlain(outcome.targetId)}\t${copyText(outcome.targetDisplayName)}\t` +
    `${copyJson(JSON.stringify(storeModifiedProperties(outcome.modifiedProperties)))}\t${copyJson(JSON.stringify(storeSteps(outcome.steps)))}`, 'utf8'))
}

/**
 * Writes encoded log entries in one COPY. Written in the transaction that completes their
 * requests, so a request's entries exist exactly once: a rolled-back attempt leaves none, a
 * completed request is never processed again, and the unique (request, operation[, report])
 * index would refuse a second set.
 */
export async function writeProvisioningLogs (client: DbClient, context: LogBatchContext, encodedEntries: Buffer[]): Promise<void> {
  await startProvisioningLogsWrite(client, context, encodedEntries).written
}

/** `writeProvisioningLogs`, for a caller with work of its own to do while PostgreSQL writes. */
export function startProvisioningLogsWrite (client: DbClient, context: LogBatchContext, encodedEntries: Buffer[]): CopyInProgress {
  const batchFields = Buffer.from(`\t${copyText(context.jobId)}\t${context.cycleId}\t${context.activityAt.toISOString()}\t${context.durationMs}\n`, 'utf8')
  return startCopyRows(client, 'provisioning_logs', COLUMNS, joinRows(encodedEntries, batchFields))
}
