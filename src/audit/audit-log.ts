import { v7 as timeOrderedUuid } from 'uuid'
import type { Db, DbClient } from '../db/pool.js'

/** The activities the service records, by what they do; the values are what `activityDisplayName` shows. */
export const AUDIT_ACTIVITY = {
  addServicePrincipal: 'Add service principal',
  deleteServicePrincipal: 'Delete service principal',
  updateSettings: 'Update synchronization job settings',
  start: 'Start synchronization job',
  pause: 'Pause synchronization job',
  restart: 'Restart synchronization job',
  updateSchema: 'Update synchronization job schema',
  /** Recorded by the worker, with initiatedBy null. */
  quarantine: 'Quarantine synchronization job'
} as const

export type AuditActivity = typeof AUDIT_ACTIVITY[keyof typeof AUDIT_ACTIVITY]

export const AUDIT_ACTIVITIES: readonly AuditActivity[] = Object.values(AUDIT_ACTIVITY)

export interface ModifiedProperty { displayName: string, oldValue: string | null, newValue: string | null }
export interface AuditDetail { key: string, value: string }

export interface AuditEntry {
  /** One of AUDIT_ACTIVITIES. */
  activity: string
  category: 'ProvisioningManagement' | 'ApplicationManagement'
  operationType: 'Add' | 'Update' | 'Delete' | 'Other'
  /** The token's client id; null for what the service does by itself (a quarantine). */
  initiatedBy: string | null
  target: { type: 'ServicePrincipal' | 'SynchronizationJob', id: string, displayName?: string | null }
  /** The job concerned, also when the target is its app, so filtering by the job finds both. */
  jobId?: string | null
  result: 'success' | 'failure'
  resultReason?: string | null
  modifiedProperties?: ModifiedProperty[]
  additionalDetails?: AuditDetail[]
}

export interface StoredAudit {
  id: string
  /**
   * UTC, ISO 8601 with PostgreSQL's microseconds. Shown as activityDateTime and used as the
   * paging position: cut to milliseconds, a page would skip entries sharing its last one's
   * millisecond, and a filter copied from a shown time would miss that very entry.
   */
  activityDateTime: string
  category: AuditEntry['category']
  activity: string
  operationType: AuditEntry['operationType']
  initiatedBy: string | null
  target: { type: AuditEntry['target']['type'], id: string, displayName: string | null }
  jobId: string | null
  result: AuditEntry['result']
  resultReason: string | null
  modifiedProperties: ModifiedProperty[]
  additionalDetails: AuditDetail[]
}

/**
 * Records an administrative action. Pass the client of the transaction that makes the change
 * so the entry commits (or rolls back) with it.
 */
export async function recordAudit (db: Db | DbClient, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO directory_audits (id, category, activity, operation_type, initiated_by, target_type, target_id, target_display_name,
       job_id, result, result_reason, modified_properties, additional_details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [timeOrderedUuid(), entry.category, entry.activity, entry.operationType, entry.initiatedBy, entry.target.type, entry.target.id,
      entry.target.displayName ?? null, entry.jobId ?? null, entry.result, entry.resultReason ?? null,
      JSON.stringify(entry.modifiedProperties ?? []), JSON.stringify(entry.additionalDetails ?? [])])
}

export interface TimeBound {
  /** A Date, or ISO 8601 text (which keeps microseconds). */
  at: Date | string
  inclusive: boolean
}

export interface AuditQuery {
  /** A job or service principal id: the entries it is the target of, or whose job it is. */
  targetId?: string
  /** Compared without regard to case. */
  activity?: string
  result?: 'success' | 'failure'
  initiatedBy?: string
  from?: TimeBound
  to?: TimeBound
  top: number
  /** Keyset position: the activityDateTime and id of the previous page's last entry. */
  after?: { at: string, id: string }
}

/** Newest first (activity time, then id). Every value is a query parameter, never query text. */
export async function listAudits (db: Db | DbClient, query: AuditQuery): Promise<StoredAudit[]> {
  const conditions: string[] = []
  const params: unknown[] = []
  const param = (value: unknown): string => { params.push(value); return `$${params.length}` }
  if (query.targetId !== undefined) {
    const id = param(query.targetId)
    conditions.push(`(job_id = ${id} OR target_id = ${id})`)
  }
  if (query.activity !== undefined) conditions.push(`lower(activity) = lower(${param(query.activity)})`)
  if (query.result !== undefined) conditions.push(`result = ${param(query.result)}`)
  if (query.initiatedBy !== undefined) conditions.push(`initiated_by = ${param(query.initiatedBy)}`)
  if (query.from !== undefined) conditions.push(`activity_at ${query.from.inclusive ? '>=' : '>'} ${param(query.from.at)}::timestamptz`)
  if (query.to !== undefined) conditions.push(`activity_at ${query.to.inclusive ? '<=' : '<'} ${param(query.to.at)}::timestamptz`)
  if (query.after !== undefined) conditions.push(`(activity_at, id) < (${param(query.after.at)}::timestamptz, ${param(query.after.id)}::uuid)`)
  const { rows } = await db.query(
    `SELECT id, to_char(activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS activity_date_time, category, activity, operation_type,
       initiated_by, target_type, target_id, target_display_name, job_id, result, result_reason, modified_properties, additional_details
     FROM directory_audits
     ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
     ORDER BY activity_at DESC, id DESC
     LIMIT ${param(query.top)}`, params)
  return rows.map(row => ({
    id: row.id,
    activityDateTime: row.activity_date_time,
    category: row.category,
    activity: row.activity,
    operationType: row.operation_type,
    initiatedBy: row.initiated_by,
    target: { type: row.target_type, id: row.target_id, displayName: row.target_display_name },
    jobId: row.job_id,
    result: row.result,
    resultReason: row.result_reason,
    modifiedProperties: row.modified_properties,
    additionalDetails: row.additional_details
  }))
}
