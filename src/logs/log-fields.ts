import type { ProvisioningAction, ProvisioningStatus } from '../provisioning/outcome.js'

/**
 * The provisioning log's filterable fields: the one place a `$filter` property turns into a
 * column. Column names only ever come from here, never from a request.
 */
export type LogField = 'id' | 'jobId' | 'cycleId' | 'changeId' | 'provisioningAction' | 'status' | 'errorCode' |
'sourceId' | 'sourceDisplayName' | 'targetId' | 'targetDisplayName' | 'activityDateTime'

/**
 * How a field's values compare: `text` as strings, `uuid` only with UUIDs, `enum` only with
 * one of its values (named without regard to case), `dateTime` with ISO 8601 date-times.
 */
export type LogFieldType = 'text' | 'uuid' | 'enum' | 'dateTime'

export interface LogFieldDefinition {
  column: string
  type: LogFieldType
  /** The column may be NULL: compared with eq/ne null, and never matched by a value. */
  nullable: boolean
  /** For `enum`: the values, spelled as Graph spells them. */
  values?: readonly string[]
}

export const PROVISIONING_ACTIONS: readonly ProvisioningAction[] = ['create', 'update', 'delete', 'disable', 'stagedDelete', 'other']
export const PROVISIONING_STATUSES: readonly ProvisioningStatus[] = ['success', 'failure', 'skipped', 'warning']

export const LOG_FIELDS: Readonly<Record<LogField, LogFieldDefinition>> = {
  id: { column: 'id', type: 'uuid', nullable: false },
  jobId: { column: 'job_id', type: 'text', nullable: false },
  cycleId: { column: 'cycle_id', type: 'uuid', nullable: false },
  changeId: { column: 'change_id', type: 'uuid', nullable: false },
  provisioningAction: { column: 'action', type: 'enum', nullable: false, values: PROVISIONING_ACTIONS },
  status: { column: 'status', type: 'enum', nullable: false, values: PROVISIONING_STATUSES },
  errorCode: { column: 'error_code', type: 'text', nullable: true },
  sourceId: { column: 'source_id', type: 'text', nullable: true },
  sourceDisplayName: { column: 'source_display_name', type: 'text', nullable: true },
  targetId: { column: 'target_id', type: 'uuid', nullable: true },
  targetDisplayName: { column: 'target_display_name', type: 'text', nullable: true },
  activityDateTime: { column: 'activity_at', type: 'dateTime', nullable: false }
}

/**
 * `$filter` property paths (Graph's names, compared in lower case) and the field each reads.
 * The beta resource's deprecated `action` and `statusInfo` read the same fields as their
 * replacements, so filters written against either version work.
 */
export const FILTER_PROPERTIES: ReadonlyMap<string, { name: string, field: LogField }> = new Map([
  ['id', 'id'],
  ['jobId', 'jobId'],
  ['cycleId', 'cycleId'],
  ['changeId', 'changeId'],
  ['provisioningAction', 'provisioningAction'],
  ['action', 'provisioningAction'],
  ['provisioningStatusInfo/status', 'status'],
  ['statusInfo/status', 'status'],
  ['errorCode', 'errorCode'],
  ['provisioningStatusInfo/errorInformation/errorCode', 'errorCode'],
  ['statusInfo/errorCode', 'errorCode'],
  ['sourceIdentity/id', 'sourceId'],
  ['sourceIdentity/displayName', 'sourceDisplayName'],
  ['targetIdentity/id', 'targetId'],
  ['targetIdentity/displayName', 'targetDisplayName'],
  ['activityDateTime', 'activityDateTime']
].map(([name, field]) => [name!.toLowerCase(), { name: name!, field: field as LogField }]))
