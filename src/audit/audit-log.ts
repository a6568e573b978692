import { v7 as timeOrderedUuid } from 'uuid'
import type { Db, DbClient } from '../db/pool.js'

/** The activities the service records, as `activityDisplayName` shows them. */
export const AUDIT_ACTIVITIES = [
  'Add service principal',
  'Delete service principal',
  'Update synchronization job settings',
  'Start synchronization job',
  'Pause synchronization job',
  'Restart synchronization job',
  'Update synchronization job schema',
  'Quarantine synchronization job'
] as const

export interface AuditEntry {
  activity: string
  category: 'ProvisioningManagement' | 'ApplicationManagement'
  operationType: 'Add' | 'Update' | 'Delete' | 'Other'
  /** The token's client id; null for what the service does by itself (a quarantine). */
  initiatedBy: string | null
  target: { type: 'ServicePrincipal' | 'SynchronizationJob', id: string, displayName?: string | null }
  jobId?: string | null
  result: 'success' | 'failure'
  resultReason?: string | null
  modifiedProperties?: Array<{ displayName: string, oldValue: string | null, newValue: string | null }>
  additionalDetails?: Array<{ key: string, value: string }>
}

export interface StoredAudit extends Required<Omit<AuditEntry, 'jobId' | 'resultReason'>> {
  id: string
  activityAt: Date
  jobId: string | null
  resultReason: string | null
  /** activity_at with microseconds, for keyset paging. */
  cursor: string
}

/** Records an administrative action; pass the transaction's client to commit it with the change. */
export async function recordAudit (db: Db | DbClient, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO directory_audits (id, category, activity, operation_type, initiated_by, target_type, target_id, target_display_name,
       job_id, result, result_reason, modified_properties, additional_details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [timeOrderedUuid(), entry.category, entry.activity, entry.operationType, entry.initiatedBy, entry.target.type, entry.target.id,
      entry.target.displayName ?? null, entry.jobId ?? null, entry.result, entry.resultReason ?? null,
      JSON.stringify(entry.modifiedProperties ?? []), JSON.stringify(entry.additionalDetails ?? [])])
}

export interface AuditQuery {
  /** A job or service principal id: entries about it (or, for a service principal, its job). */
  targetId?: string
  activity?: string
  result?: 'success' | 'failure'
  initiatedBy?: string
  from?: { at: Date, inclusive: boolean }
  to?: { at: Date, inclusive: boolean }
  top: number
  /** Keyset cursor: the last entry of the previous page. */
  after?: { at: string, id: string }
}

/** Newest first. Every condition is a parameter: nothing of the query text comes from the caller. */
export async function listAudits (db: Db, query: AuditQuery): Promise<StoredAudit[]> {
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
  if (query.from !== undefined) conditions.push(`activity_at ${query.from.inclusive ? '>=' : '>'} ${param(query.from.at)}`)
  if (query.to !== undefined) conditions.push(`activity_at ${query.to.inclusive ? '<=' : '<'} ${param(query.to.at)}`)
  if (query.after !== undefined) conditions.push(`(activity_at, id) < (${param(query.after.at)}::timestamptz, ${param(query.after.id)}::uuid)`)
  const { rows } = await db.query(
    `SELECT *, to_char(activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor FROM directory_audits ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
     ORDER BY activity_at DESC, id DESC LIMIT ${param(query.top)}`, params)
  return rows.map(row => ({
    id: row.id,
    activityAt: row.activity_at,
    category: row.category,
    activity: row.activity,
    operationType: row.operation_type,
    initiatedBy: row.initiated_by,
    target: { type: row.target_type, id: row.target_id, displayName: row.target_display_name },
    jobId: row.job_id,
    result: row.result,
    resultReason: row.result_reason,
    modifiedProperties: row.modified_properties,
    additionalDetails: row.additional_details,
    cursor: row.cursor
  }))
}
