import type { Logger } from 'pino'
import type { Db, DbClient } from '../db/pool.js'
import type { CopyInProgress } from '../db/copy-rows.js'
import { insertNewUsers, linkWaitingReports, loadUsersForRequest, recordSources, releaseUniqueValues, unlinkReportsOf, writeUsers } from '../directory/entra/users-repository.js'
import type { EntraUserRecord } from '../directory/entra/user.js'
import { encodeLogEntries, startProvisioningLogsWrite, type LogEntry } from '../logs/provisioning-log-writer.js'
import { applyOperations, type PreparedOperation } from './apply-operations.js'
import { endCycleIfIdle, enterCycle, recordCycleProgress, type CycleState } from './cycles.js'
import { enqueueFailureDigestIfDue } from './failure-digest.js'
import { quarantineJob } from '../jobs/quarantine-job.js'
import type { OperationOutcome } from './outcome.js'
import { prepareRequest, readOperations, type Preparation } from './prepare-request.js'
import { compiledSchemaFor } from '../jobs/job-schema-repository.js'
import { prepareResyncRequest } from './resync.js'
import { linkedReportEntries } from './reference-resolution.js'
import { stageOperations } from './staged-operations.js'
import { applyToAdDirectory } from './ad/apply-ad-batch.js'
import type { PreparedRequests } from './prepared-requests.js'
import { recordBatchCommitted } from '../metrics/worker-metrics.js'

/** Advisory lock class of a directory's writes (the second key is the directory's hash). */
const DIRECTORY_LOCK = 0x5c1d

/** After this many attempts a request is completed with every operation failed, so the job's queue moves on. */
export const MAX_ATTEMPTS = 5

export type BatchResult =
  | { state: 'completed', requestIds: string[], operations: number, cycleId: string }
  | { state: 'skipped', reason: string }

export interface BatchOptions {
  log?: Logger
  /** Requests parsed and mapped ahead of time, taken by id instead of being read again. */
  prepared?: PreparedRequests
}

export interface ClaimedRequest {
  id: string
  sequence: number
  attempts: number
  lastError: string | null
  /** Null when the request is taken prepared. */
  payload: string | null
  origin: 'client' | 'resync'
}

export interface ClaimedBatch {
  jobId: string
  directoryId: string
  kind: 'entra' | 'ad'
  domains: string[]
  /** ad directories: where users go when no mapping places them. */
  defaultOu: string | null
  /** In acceptance order. */
  requests: ClaimedRequest[]
}

/**
 * Applies consecutive accepted requests of one job to its directory in a single
 * transaction: match, map, check the directory's rules, write changed users, link managers,
 * write one log entry per operation, mark the requests completed. The operations are
 * applied in acceptance order, exactly as if the requests had been processed one by one;
 * one transaction for many small requests is what lets a job keep up with clients sending
 * Entra-sized (50-operation) requests. Safe to run again: completed or purged requests are
 * skipped, and a rolled-back attempt left nothing.
 */
export async function processBatch (db: Db, requestIds: string[], options: BatchOptions = {}): Promise<BatchResult> {
  const claimed = await claim(db, requestIds, options.prepared?.ids() ?? [])
  if (claimed === undefined) return { state: 'skipped', reason: 'no request is waiting (already completed or purged)' }
  const client = await db.connect()
  try {
    await client.query('BEGIN')
    // The job row first (as restarts do), then the requests: a second worker handed the same
    // requests (a lapsed lock) waits here and then finds them completed, and a restart
    // racing with this batch either waits for it or purges the requests before it starts.
    const cycle = await enterCycle(client, claimed.jobId)
    if (cycle.statusCode !== 'Active') {
      // Paused, quarantined or restarted since the batch was chosen: nothing is applied and
      // the requests go back to waiting, their attempt not counted.
      await client.query('ROLLBACK')
      await db.query(`UPDATE bulk_requests SET state = 'queued', attempts = attempts - 1 WHERE id = ANY($1::uuid[]) AND state = 'processing'`, [claimed.requests.map(request => request.id)])
      return { state: 'skipped', reason: `the job is ${cycle.statusCode}` }
    }
    const { rows: locked } = await client.query(
      'SELECT id FROM bulk_requests WHERE id = ANY($1::uuid[]) AND state = \'processing\' ORDER BY sequence FOR UPDATE', [claimed.requests.map(request => request.id)])
    const stillProcessing = new Set(locked.map(row => row.id as string))
    const requests = claimed.requests.filter(request => stillProcessing.has(request.id))
    if (requests.length === 0) {
      await client.query('ROLLBACK')
      return { state: 'skipped', reason: 'the requests were completed or purged meanwhile' }
    }
    const context = { jobId: claimed.jobId, cycleId: cycle.cycleId, activityAt: new Date(), durationMs: 0 }
    const started = Date.now()
    const ids = requests.map(request => request.id)
    const applied = await applyRequests(client, { ...claimed, requests }, cycle, options, encoded => {
      context.durationMs = Date.now() - started
      return startProvisioningLogsWrite(client, context, encoded)
    })
    await recordCycleProgress(client, cycle, applied.outcomes, applied.appliedDeletes)
    // One completion time for the batch: its requests are applied together, in one transaction.
    // An error left by an earlier attempt (perhaps a neighbour's, in a failed batch) is cleared
    // once a request is applied; one that failed for good keeps the error that ended it.
    const { rows: completed } = await client.query(
      `UPDATE bulk_requests SET state = 'completed', completed_at = batch.at, cycle_id = $2,
         last_error = CASE WHEN attempts > $3 THEN last_error END
       FROM (SELECT clock_timestamp() AS at) batch WHERE id = ANY($1::uuid[])
       RETURNING origin, extract(epoch FROM completed_at - received_at)::float8 AS "acceptToCommitSeconds"`, [ids, cycle.cycleId, MAX_ATTEMPTS])
    await checkThresholds(client, claimed.jobId, cycle, applied.staged)
    if (await endCycleIfIdle(client, claimed.jobId, cycle.cycleId, ids)) await enqueueFailureDigestIfDue(client, claimed.jobId, cycle)
    await client.query('COMMIT')
    recordBatchCommitted(applied.outcomes, completed)
    return { state: 'completed', requestIds: ids, operations: applied.entries, cycleId: cycle.cycleId }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    const message = String((err as Error).message ?? err)
    // A failed batch of several requests is not counted against them: they are tried again
    // one at a time at once, and only those attempts say which request is at fault.
    await db.query('UPDATE bulk_requests SET last_error = $2, attempts = attempts - $3 WHERE id = ANY($1::uuid[])',
      [claimed.requests.map(request => request.id), message, claimed.requests.length > 1 ? 1 : 0]).catch(() => {})
    options.log?.warn({ err, requestIds: claimed.requests.map(request => request.id) }, 'processing bulk requests failed; they will be retried')
    throw err
  } finally {
    client.release()
  }
}

/**
 * Marks the requests as being processed (visible in their status resources) and counts the
 * attempt. Payloads are read only for requests not prepared ahead, and always for a request
 * on its last attempt (its failure entries are built from the payload itself).
 */
async function claim (db: Db, requestIds: string[], preparedIds: string[]): Promise<ClaimedBatch | undefined> {
  const { rows } = await db.query(
    `UPDATE bulk_requests r SET state = 'processing', started_at = coalesce(started_at, clock_timestamp()), attempts = attempts + 1
     FROM sync_jobs j JOIN directories d ON d.id = j.directory_id
     WHERE r.id = ANY($1::uuid[]) AND j.id = r.job_id AND r.state IN ('queued', 'processing')
     RETURNING r.id, r.sequence, r.job_id, r.attempts, r.last_error, r.origin, d.id AS directory_id, d.domains, d.kind, d.default_ou,
       CASE WHEN r.id = ANY($2::uuid[]) AND r.attempts <= $3 THEN NULL ELSE r.payload END AS payload`,
    [requestIds, preparedIds, MAX_ATTEMPTS])
  if (rows.length === 0) return undefined
  const first = rows[0]
  // A batch belongs to one job; ids of another job's requests are not this batch's to process.
  const requests = rows.filter(row => row.job_id === first.job_id)
    .map((row): ClaimedRequest => ({ id: row.id, sequence: Number(row.sequence), attempts: row.attempts, lastError: row.last_error, payload: row.payload, origin: row.origin }))
    .sort((a, b) => a.sequence - b.sequence)
  return { jobId: first.job_id, directoryId: first.directory_id, kind: first.kind, domains: first.domains, defaultOu: first.default_ou, requests }
}

export interface AppliedBatch {
  /** Log entries written. */
  entries: number
  /** One per operation (reference-resolution entries excluded): what the cycle counts. */
  outcomes: OperationOutcome[]
  appliedDeletes: number
  staged: number
}

/** Starts writing encoded log entries in the batch's transaction. */
export type LogWriter = (encoded: Buffer[]) => CopyInProgress

/**
 * Applies the batch's operations in order and writes their effects; `writeLogs` receives the
 * encoded log entries (once for the operations, once more for reports linked to a manager
 * that arrived). Deletes and disables past the cycle's delete threshold are staged.
 */
async function applyRequests (client: DbClient, batch: ClaimedBatch, cycle: CycleState, options: BatchOptions, writeLogs: LogWriter): Promise<AppliedBatch> {
  const entries: LogEntry[] = []
  const operations: PreparedOperation[] = []
  const requestOfOperation: string[] = []
  const preparation: Preparation = { schema: await compiledSchemaFor(client, batch.jobId, cycle.schemaVersion), context: { defaultDomain: batch.domains[0] } }
  options.prepared?.use(preparation)
  for (const request of batch.requests) {
    if (request.attempts > MAX_ATTEMPTS) {
      for (const outcome of failEverything(request)) entries.push({ requestId: request.id, outcome })
      continue
    }
    if (request.origin === 'resync') {
      const prepared = await prepareResyncRequest(client, batch.jobId, request.payload ?? await readPayload(client, request.id), preparation)
      for (const operation of prepared.operations) {
        operations.push(operation)
        requestOfOperation.push(request.id)
      }
      continue
    }
    const prepared = (request.payload === null ? options.prepared?.take(request.id, preparation) : undefined) ??
      prepareRequest(request.payload ?? await readPayload(client, request.id), preparation)
    for (const operation of prepared.operations) {
      operations.push({ ...operation, source: { jobId: batch.jobId, requestId: request.id, operationIndex: operation.op.index } })
      requestOfOperation.push(request.id)
    }
  }

  // Two jobs may write one directory: their batches take turns, so each sees the other's
  // users (unique values, managers arriving) once committed, never half-way.
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DIRECTORY_LOCK, batch.directoryId])
  if (batch.kind === 'ad') return await applyToAdDirectory(client, batch, { operations, requestOfOperation, entries }, cycle, options, writeLogs)

  const keys = lookupKeys(operations)
  const loaded = await loadUsersForRequest(client, batch.directoryId, keys.employeeIds, keys.upns, keys.nicknames)
  const { settings } = cycle
  const deleteAllowance = settings.deleteThresholdEnabled ? Math.max(0, settings.deleteThreshold - cycle.deletes) : Infinity
  const result = applyOperations(operations, loaded, { jobId: batch.jobId, verifiedDomains: batch.domains, now: new Date(), deleteAllowance, skipOutOfScopeDeletions: settings.skipOutOfScopeDeletions })
  result.outcomes.forEach((outcome, index) => { if (outcome.quiet !== true) entries.push({ requestId: requestOfOperation[index]!, outcome }) })
  await stageOperations(client, batch.jobId, result.staged.map(staged => ({
    requestId: requestOfOperation[staged.position]!,
    operationIndex: operations[staged.position]!.op.index,
    userId: staged.userId,
    action: staged.action
  })))

  await releaseUniqueValues(client, usersGivingUpUniqueValues(loaded, result.changed))
  // PostgreSQL writes the users while the log entries are encoded and the next batch is
  // parsed; the rows are handed over first (see CopyInProgress.sent).
  const stored = new Set(loaded.map(user => user.id))
  const newUsers = insertNewUsers(client, batch.directoryId, result.changed.filter(user => !stored.has(user.id)))
  const usersWritten = Promise.all([newUsers.written, writeUsers(client, batch.directoryId, result.changed.filter(user => stored.has(user.id)))])
  // Awaited below; marked handled now, so a failure while the rows are handed over is not
  // taken for an unhandled one.
  usersWritten.catch(() => {})
  let encoded: Buffer[]
  try {
    await newUsers.sent
    encoded = encodeLogEntries(entries)
    options.prepared?.parseWaiting()
  } finally {
    await usersWritten
  }
  await recordSources(client, result.unchangedSources)
  await unlinkReportsOf(client, result.deletedIds)
  const linked = await linkWaitingReports(client, batch.directoryId, result.arrivedIds, result.changed.map(user => user.id))
  const log = writeLogs(encoded)
  await log.sent
  // The next batch is mapped here, while PostgreSQL writes this one's log.
  options.prepared?.prepareWaiting()
  await log.written
  const applied = { outcomes: entries.map(entry => entry.outcome), appliedDeletes: result.appliedDeletes, staged: result.staged.length }
  if (linked.length === 0) return { entries: entries.length, ...applied }

  const linkedEntries = linkedReportEntries(linked, result.outcomes, requestOfOperation, batch.requests.at(-1)!.id)
  await writeLogs(encodeLogEntries(linkedEntries)).written
  return { entries: entries.length + linkedEntries.length, ...applied }
}

/**
 * Quarantines the job when this batch crossed a threshold: deletes staged (TooManyDeletes),
 * or too large a share of the cycle's operations failed once enough were evaluated.
 */
async function checkThresholds (client: DbClient, jobId: string, cycle: CycleState, staged: number): Promise<void> {
  const { settings } = cycle
  const job = { id: jobId, servicePrincipalId: cycle.servicePrincipalId, settings, quarantine: cycle.quarantine }
  if (staged > 0) {
    await quarantineJob(client, job, { kind: 'tooManyDeletes', threshold: settings.deleteThreshold, applied: cycle.deletes, staged }, null)
  } else if (cycle.evaluated >= settings.failureThresholdMinimum && cycle.failures * 100 > settings.failureThresholdPercent * cycle.evaluated) {
    await quarantineJob(client, job, { kind: 'failureProportion', failures: cycle.failures, evaluated: cycle.evaluated, percent: settings.failureThresholdPercent, minimum: settings.failureThresholdMinimum }, null)
  }
}

async function readPayload (client: DbClient, requestId: string): Promise<string> {
  const { rows: [row] } = await client.query('SELECT payload FROM bulk_requests WHERE id = $1', [requestId])
  return row.payload
}

/** Every user the operations can match, reference or collide with is loaded in one round trip. */
function lookupKeys (operations: PreparedOperation[]): { employeeIds: string[], upns: string[], nicknames: string[] } {
  const employeeIds = new Set<string>()
  const upns = new Set<string>()
  const nicknames = new Set<string>()
  for (const { mapped } of operations) {
    for (const key of mapped.matchKeys) {
      if (key.attribute === 'employeeId') employeeIds.add(key.value)
      else (key.attribute === 'userPrincipalName' ? upns : nicknames).add(key.value.toLowerCase())
    }
    if (typeof mapped.managerExternalId === 'string') employeeIds.add(mapped.managerExternalId)
    for (const { target, candidates } of mapped.unique) {
      for (const candidate of candidates) (target === 'userPrincipalName' ? upns : nicknames).add(candidate.toLowerCase())
    }
    for (const values of [mapped.attributes, mapped.onCreate, mapped.whenEmpty]) {
      if (typeof values.employeeId === 'string') employeeIds.add(values.employeeId)
      if (typeof values.userPrincipalName === 'string') upns.add(values.userPrincipalName.toLowerCase())
      if (typeof values.mailNickname === 'string') nicknames.add(values.mailNickname.toLowerCase())
    }
  }
  return { employeeIds: [...employeeIds], upns: [...upns], nicknames: [...nicknames] }
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

function failEverything (request: ClaimedRequest): OperationOutcome[] {
  const reason = `Processing failed ${MAX_ATTEMPTS} times; the operation was not applied. Last error: ${request.lastError ?? 'unknown'}. Send it again once the cause is fixed.`
  return readOperations(request.payload ?? '{}').map(op => ({
    operationIndex: op.index,
    bulkId: op.bulkId === undefined ? undefined : storable(op.bulkId),
    method: op.method,
    externalId: op.externalId === null ? null : storable(op.externalId),
    sourceDisplayName: op.displayName === null ? null : storable(op.displayName),
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
