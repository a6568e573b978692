import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Db, DbClient } from '../db/pool.js'
import { validateBulkRequest } from '../ingest/validate-bulk-request.js'
import { applyMappings } from '../mapping/apply-mappings.js'
import { linkWaitingReports, loadUsersForRequest, releaseUniqueValues, unlinkReportsOf, writeUsers } from '../directory/entra/users-repository.js'
import { writeProvisioningLogs } from '../logs/provisioning-log-writer.js'
import { applyOperations, type PreparedOperation } from './apply-operations.js'
import type { OperationOutcome } from './outcome.js'
import type { BulkOperation } from '../scim/types.js'
import type { EntraUserRecord } from '../directory/entra/user.js'

/** After this many attempts a request is completed with every operation failed, so the job's queue moves on. */
export const MAX_ATTEMPTS = 5

export type ProcessResult =
  | { state: 'completed', operations: number, cycleId: string }
  | { state: 'skipped', reason: string }

interface ClaimedRequest {
  jobId: string
  payload: string
  attempts: number
  lastError: string | null
  directoryId: string
  domains: string[]
}

/**
 * Applies one accepted bulk request to its job's directory in a single transaction:
 * match, map, check the directory's rules, write changed users, link managers, write one
 * log entry per operation, mark the request completed. Safe to run again for the same
 * request: a completed or purged request is skipped, and a rolled-back attempt left nothing.
 */
export async function processRequest (db: Db, requestId: string, log?: Logger): Promise<ProcessResult> {
  const claimed = await claim(db, requestId)
  if (claimed === undefined) return { state: 'skipped', reason: 'request is not waiting (already completed or purged)' }
  const client = await db.connect()
  try {
    await client.query('BEGIN')
    // Row locks: a second worker handed the same request (a lapsed lock) waits here and
    // then finds it completed; the job row serializes a job's requests whatever the queue does.
    const { rows: [locked] } = await client.query('SELECT state FROM bulk_requests WHERE id = $1 FOR UPDATE', [requestId])
    if (locked?.state !== 'processing') {
      await client.query('ROLLBACK')
      return { state: 'skipped', reason: `request is ${String(locked?.state)}` }
    }
    const cycleId = await enterCycle(client, claimed.jobId)
    const started = Date.now()
    const outcomes = claimed.attempts > MAX_ATTEMPTS
      ? failEverything(claimed)
      : await applyRequest(client, claimed)
    await writeProvisioningLogs(client, { requestId, jobId: claimed.jobId, cycleId, activityAt: new Date(), durationMs: Date.now() - started }, outcomes)
    await client.query(`UPDATE bulk_requests SET state = 'completed', completed_at = clock_timestamp(), cycle_id = $2 WHERE id = $1`, [requestId, cycleId])
    await endCycleIfIdle(client, claimed.jobId, requestId)
    await client.query('COMMIT')
    return { state: 'completed', operations: outcomes.length, cycleId }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    await db.query('UPDATE bulk_requests SET last_error = $2 WHERE id = $1', [requestId, String((err as Error).message ?? err)]).catch(() => {})
    log?.warn({ err, requestId }, 'processing a bulk request failed; it will be retried')
    throw err
  } finally {
    client.release()
  }
}

/** Marks the request as being processed (visible in its status resource) and counts the attempt. */
async function claim (db: Db, requestId: string): Promise<ClaimedRequest | undefined> {
  const { rows: [row] } = await db.query(
    `UPDATE bulk_requests r SET state = 'processing', started_at = coalesce(started_at, clock_timestamp()), attempts = attempts + 1
     FROM sync_jobs j JOIN directories d ON d.id = j.directory_id
     WHERE r.id = $1 AND j.id = r.job_id AND r.state IN ('queued', 'processing')
     RETURNING r.job_id, r.payload, r.attempts, r.last_error, d.id AS directory_id, d.domains`, [requestId])
  if (row === undefined) return undefined
  return { jobId: row.job_id, payload: row.payload, attempts: row.attempts, lastError: row.last_error, directoryId: row.directory_id, domains: row.domains }
}

async function applyRequest (client: DbClient, request: ClaimedRequest): Promise<OperationOutcome[]> {
  const validation = validateBulkRequest(JSON.parse(request.payload))
  // Accepted requests were validated; a failure here means the rules changed since.
  if (!validation.ok) throw new Error(`stored request no longer validates: ${validation.errors[0]?.message ?? 'unknown'}`)
  const prepared = prepare(validation.request.operations)
  const employeeIds = new Set<string>()
  const upns = new Set<string>()
  const nicknames = new Set<string>()
  for (const { op, mapped } of prepared) {
    employeeIds.add(op.data.externalId)
    if (mapped.managerExternalId !== undefined) employeeIds.add(mapped.managerExternalId)
    if (typeof mapped.attributes.userPrincipalName === 'string') upns.add(mapped.attributes.userPrincipalName.toLowerCase())
    if (typeof mapped.attributes.mailNickname === 'string') nicknames.add(mapped.attributes.mailNickname.toLowerCase())
  }
  const loaded = await loadUsersForRequest(client, request.directoryId, [...employeeIds], [...upns], [...nicknames])
  const result = applyOperations(prepared, loaded, { jobId: request.jobId, verifiedDomains: request.domains, now: new Date() })
  await releaseUniqueValues(client, usersGivingUpUniqueValues(loaded, result.changed))
  await writeUsers(client, request.directoryId, result.changed)
  await unlinkReportsOf(client, result.deletedIds)
  const linked = await linkWaitingReports(client, request.directoryId, result.arrivedIds, result.changed.map(user => user.id))
  return [...result.outcomes, ...linked.map((report): OperationOutcome => ({
    operationIndex: -1,
    method: null,
    externalId: report.employeeId,
    sourceDisplayName: report.displayName,
    action: 'update',
    status: 'success',
    errorCode: null,
    reason: null,
    targetId: report.id,
    targetDisplayName: report.displayName,
    modifiedProperties: [{ displayName: 'manager', oldValue: null, newValue: report.managerId }],
    steps: [{ name: 'EntryReferenceResolution', provisioningStepType: 'referenceResolution', status: 'success', description: `Linked manager '${report.managerExternalId}', which arrived in this request.` }]
  }))]
}

function usersGivingUpUniqueValues (loaded: EntraUserRecord[], changed: EntraUserRecord[]): string[] {
  const before = new Map(loaded.map(user => [user.id, user]))
  return changed.filter(user => {
    const previous = before.get(user.id)
    if (previous === undefined || previous.deletedAt !== null) return false
    return user.deletedAt !== null ||
      previous.userPrincipalName?.toLowerCase() !== user.userPrincipalName?.toLowerCase() ||
      previous.mailNickname?.toLowerCase() !== user.mailNickname?.toLowerCase()
  }).map(user => user.id)
}

function prepare (operations: BulkOperation[]): PreparedOperation[] {
  const externalIdByBulkId = new Map<string, string>()
  for (const op of operations) {
    if (op.bulkId !== undefined && !externalIdByBulkId.has(op.bulkId)) externalIdByBulkId.set(op.bulkId, op.data.externalId)
  }
  return operations.map(op => ({ op, mapped: applyMappings(op.data, bulkId => externalIdByBulkId.get(bulkId)) }))
}

function failEverything (request: ClaimedRequest): OperationOutcome[] {
  const parsed = validateBulkRequest(JSON.parse(request.payload))
  const operations = parsed.ok ? parsed.request.operations : []
  const reason = `Processing failed ${MAX_ATTEMPTS} times; the operation was not applied. Last error: ${request.lastError ?? 'unknown'}. Send it again once the cause is fixed.`
  return operations.map(op => ({
    operationIndex: op.index,
    bulkId: op.bulkId === undefined ? undefined : storable(op.bulkId),
    method: op.method,
    externalId: storable(op.data.externalId),
    sourceDisplayName: typeof op.data.displayName === 'string' ? storable(op.data.displayName) : null,
    action: 'other',
    status: 'failure',
    errorCode: 'InternalError',
    reason,
    targetId: null,
    targetDisplayName: null,
    modifiedProperties: [],
    steps: [{ name: 'EntryImport', provisioningStepType: 'import', status: 'failure', description: reason }]
  }))
}

/**
 * Last resort for requests stored before today's validation: text PostgreSQL cannot hold
 * (NUL, lone surrogates) must not keep the failure entries themselves from being written.
 */
function storable (text: string): string {
  return (text as unknown as { toWellFormed: () => string }).toWellFormed().replaceAll('\u0000', '\ufffd')
}

/** A cycle begins with the first request after the job's queue ran dry (or after start). */
async function enterCycle (client: DbClient, jobId: string): Promise<string> {
  const { rows: [job] } = await client.query('SELECT current_cycle_id, cycle_ended_at FROM sync_jobs WHERE id = $1 FOR NO KEY UPDATE', [jobId])
  if (job.current_cycle_id !== null && job.cycle_ended_at === null) return job.current_cycle_id
  const cycleId = randomUUID()
  await client.query('UPDATE sync_jobs SET current_cycle_id = $2, cycle_ended_at = NULL WHERE id = $1', [jobId, cycleId])
  return cycleId
}

async function endCycleIfIdle (client: DbClient, jobId: string, requestId: string): Promise<void> {
  await client.query(
    `UPDATE sync_jobs SET cycle_ended_at = clock_timestamp() WHERE id = $1 AND NOT EXISTS (
       SELECT 1 FROM bulk_requests WHERE job_id = $1 AND state IN ('queued', 'processing') AND id <> $2)`, [jobId, requestId])
}
