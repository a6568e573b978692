import { randomUUID } from 'node:crypto'
import type { DbClient } from '../db/pool.js'
import { deleteAdUsers } from '../directory/ad/users-repository.js'
import { encodeLogEntries, writeProvisioningLogs, type LogEntry } from '../logs/provisioning-log-writer.js'
import type { OperationOutcome } from './outcome.js'

export interface StagedResolution {
  applied: number
  /** Not applied: the user changed (or was deleted) after the operation was staged. */
  superseded: number
  discarded: number
}

interface StagedRow {
  id: string
  request_id: string
  operation_index: number
  user_id: string
  action: 'delete' | 'disable'
  staged_at: Date
  deleted_at: Date | null
  account_enabled: boolean
  last_modified_at: Date
  employee_id: string | null
  display_name: string | null
  /** The user is an AD user (ad_users): deletes are hard deletes there. */
  in_ad: boolean
}

/**
 * Resolves the deletes and disables a job's delete threshold held back, in a restart's
 * transaction. With ForceDeletes they are applied — unless the user changed after staging
 * (a later request decided otherwise) — and each gets a follow-up log entry; otherwise they
 * are discarded.
 */
export async function resolveStagedOperations (client: DbClient, job: { id: string }, force: boolean): Promise<StagedResolution> {
  const { rows } = await client.query<StagedRow>(
    `SELECT s.id, s.request_id, s.operation_index, s.user_id, s.action, s.staged_at,
       -- An AD user deleted since (hard delete) counts as deleted.
       CASE WHEN u.id IS NULL AND a.id IS NULL THEN s.staged_at ELSE u.deleted_at END AS deleted_at,
       coalesce(u.account_enabled, NOT a.account_disabled, false) AS account_enabled,
       coalesce(u.last_modified_at, a.last_modified_at, s.staged_at) AS last_modified_at,
       coalesce(u.employee_id, a.employee_id) AS employee_id,
       coalesce(u.display_name, a.attributes ->> 'displayName', a.cn) AS display_name,
       a.id IS NOT NULL AS in_ad
     FROM staged_operations s LEFT JOIN directory_users u ON u.id = s.user_id LEFT JOIN ad_users a ON a.id = s.user_id
     WHERE s.job_id = $1 AND s.resolved_at IS NULL ORDER BY s.staged_at, s.request_id, s.operation_index FOR UPDATE OF s`, [job.id])
  const result: StagedResolution = { applied: 0, superseded: 0, discarded: 0 }
  if (rows.length === 0) return result
  if (!force) {
    await resolve(client, rows.map(row => row.id), 'discarded')
    return { ...result, discarded: rows.length }
  }
  const now = new Date()
  const applicable = rows.filter(row => row.deleted_at === null && row.last_modified_at <= row.staged_at &&
    (row.action === 'delete' || row.account_enabled))
  const applicableIds = new Set(applicable.map(row => row.id))
  const superseded = rows.filter(row => !applicableIds.has(row.id))
  const deletes = applicable.filter(row => row.action === 'delete' && !row.in_ad).map(row => row.user_id)
  const disables = applicable.filter(row => row.action === 'disable' && !row.in_ad).map(row => row.user_id)
  await deleteAdUsers(client, applicable.filter(row => row.action === 'delete' && row.in_ad).map(row => row.user_id))
  const adDisables = applicable.filter(row => row.action === 'disable' && row.in_ad).map(row => row.user_id)
  if (adDisables.length > 0) await client.query('UPDATE ad_users SET account_disabled = true, last_modified_at = $2 WHERE id = ANY($1::uuid[])', [adDisables, now])
  if (deletes.length > 0) {
    await client.query('UPDATE directory_users SET deleted_at = $2, last_modified_at = $2 WHERE id = ANY($1::uuid[])', [deletes, now])
    await client.query('UPDATE directory_users SET manager_id = NULL, last_modified_at = $2 WHERE manager_id = ANY($1::uuid[])', [deletes, now])
  }
  if (disables.length > 0) await client.query('UPDATE directory_users SET account_enabled = false, last_modified_at = $2 WHERE id = ANY($1::uuid[])', [disables, now])
  await resolve(client, applicable.map(row => row.id), 'applied')
  await resolve(client, superseded.map(row => row.id), 'superseded')

  // The restart's own short cycle holds the entries of what it applied.
  const cycleId = randomUUID()
  await client.query('INSERT INTO sync_cycles (id, job_id, ended_at, deletes, evaluated) VALUES ($1, $2, clock_timestamp(), $3, $4)', [cycleId, job.id, applicable.length, rows.length])
  const entries = rows.map((row): LogEntry => ({ requestId: row.request_id, outcome: followUpOutcome(row, applicableIds.has(row.id), now), followUp: true }))
  await writeProvisioningLogs(client, { jobId: job.id, cycleId, activityAt: now, durationMs: 0 }, encodeLogEntries(entries))
  return { ...result, applied: applicable.length, superseded: superseded.length }
}

async function resolve (client: DbClient, ids: string[], resolution: 'applied' | 'discarded' | 'superseded'): Promise<void> {
  if (ids.length === 0) return
  await client.query('UPDATE staged_operations SET resolved_at = clock_timestamp(), resolution = $2 WHERE id = ANY($1::uuid[])', [ids, resolution])
}

function followUpOutcome (row: StagedRow, applied: boolean, now: Date): OperationOutcome {
  const base = {
    operationIndex: row.operation_index,
    method: row.action === 'delete' ? 'DELETE' as const : 'POST' as const,
    externalId: row.employee_id,
    sourceDisplayName: row.display_name,
    errorCode: null,
    targetId: row.user_id,
    targetDisplayName: row.display_name
  }
  if (!applied) {
    const reason = `The staged ${row.action} was not applied: the user changed after it was staged.`
    return { ...base, action: 'other', status: 'skipped', reason, modifiedProperties: [], steps: [{ name: 'EntryExportSkipped', provisioningStepType: 'export', status: 'skipped', description: reason }] }
  }
  return {
    ...base,
    action: row.action,
    status: 'success',
    reason: null,
    modifiedProperties: row.action === 'delete'
      ? [{ displayName: 'deletedDateTime', oldValue: null, newValue: now.toISOString() }]
      : [{ displayName: 'accountEnabled', oldValue: 'true', newValue: 'false' }],
    steps: [{ name: row.action === 'delete' ? 'EntryExportDelete' : 'EntryExportUpdate', provisioningStepType: 'export', status: 'success', description: `Applied the staged ${row.action}: the job was restarted with ForceDeletes.` }]
  }
}

/** Records deletes and disables held back by the delete threshold, to be resolved by the next restart. */
export async function stageOperations (client: DbClient, jobId: string, staged: Array<{ requestId: string, operationIndex: number, userId: string, action: string }>): Promise<void> {
  if (staged.length === 0) return
  await client.query(
    `INSERT INTO staged_operations (id, job_id, request_id, operation_index, user_id, action)
     SELECT gen_random_uuid(), $1, x.request_id, x.operation_index, x.user_id, x.action
     FROM json_to_recordset($2::json) AS x(request_id uuid, operation_index int, user_id uuid, action text)`,
    [jobId, JSON.stringify(staged.map(op => ({ request_id: op.requestId, operation_index: op.operationIndex, user_id: op.userId, action: op.action })))])
}
