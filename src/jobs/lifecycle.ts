import { withTransaction, type Db, type DbClient } from '../db/pool.js'
import { resolveStagedOperations, type StagedResolution } from '../provisioning/staged-operations.js'
import { scheduleResync } from '../provisioning/resync.js'
import type { Quarantine } from './quarantine.js'
import { quarantineJob } from './quarantine-job.js'
import { JOB_CHANGES_CHANNEL, type JobStatusCode } from './repository.js'
import { withDefaults, type JobSettings } from './settings.js'

/** Graph's synchronizationJobRestartScope values; combinable, comma-separated. */
export const RESET_SCOPES = ['None', 'ConnectorDataStore', 'Escrows', 'Watermark', 'QuarantineState', 'Full', 'ForceDeletes'] as const
export type ResetScope = typeof RESET_SCOPES[number]

/** A transition the job's state does not allow; answered 409 with the message. */
export class JobStateConflict extends Error {}

interface LockedJob {
  id: string
  servicePrincipalId: string
  directoryId: string
  statusCode: JobStatusCode
  quarantine: Quarantine | null
  settings: JobSettings
}

export interface TransitionResult {
  before: JobStatusCode
  after: JobStatusCode
}

export interface RestartResult extends TransitionResult {
  purgedRequests: number
  purgedOperations: number
  /** With resetScope Full: the requests re-applying the mappings to the job's users (last one first to enqueue), and how many users. */
  resync: { requestIds: string[], users: number }
  staged: StagedResolution
}

/**
 * Start: a job that never ran or was paused begins processing — or, with no notification
 * email, enters quarantine (NotificationEmailMissing). Starting again a job quarantined
 * for that reason, once the email is set, clears it. Other quarantines need a restart.
 */
export async function startJob (db: Db, jobId: string, initiatedBy: string): Promise<TransitionResult> {
  return await withTransaction(db, async client => {
    const job = await lockJob(client, jobId)
    if (job.statusCode === 'NotConfigured') throw new JobStateConflict('The job is not configured yet; it cannot start.')
    if (job.quarantine !== null && job.quarantine.errorCode !== 'NotificationEmailMissing') {
      throw new JobStateConflict(`The job is quarantined (${job.quarantine.reason}): ${job.quarantine.message} A start does not clear this quarantine; a restart does.`)
    }
    if (job.settings.notificationEmail === null) {
      await quarantineJob(client, job, { kind: 'notificationEmailMissing' }, initiatedBy)
      await setStatus(client, job.id, 'Quarantine')
      return { before: job.statusCode, after: 'Quarantine' }
    }
    if (job.statusCode === 'Active') return { before: 'Active', after: 'Active' }
    await client.query('UPDATE sync_jobs SET status_code = $2, quarantine = NULL, updated_at = now() WHERE id = $1', [job.id, 'Active'])
    await notify(client, job.id)
    return { before: job.statusCode, after: 'Active' }
  })
}

/**
 * Pause: the batch in progress finishes (its transaction holds the job row; this waits for
 * it), later requests are accepted and wait. A quarantine is kept, to be seen and cleared.
 */
export async function pauseJob (db: Db, jobId: string): Promise<TransitionResult> {
  return await withTransaction(db, async client => {
    const job = await lockJob(client, jobId)
    if (job.statusCode === 'NotConfigured') throw new JobStateConflict('The job is not configured yet; there is nothing to pause.')
    if (job.statusCode === 'Paused') return { before: 'Paused', after: 'Paused' }
    await setStatus(client, job.id, 'Paused')
    return { before: job.statusCode, after: 'Paused' }
  })
}

/**
 * Restart: purges what waits (state `purged`, visible in each request's status and counted),
 * clears quarantine and escrows, ends the cycle so the next request begins a new one, and
 * resolves staged deletes — applied with ForceDeletes, discarded otherwise. With Full, every
 * user's last record is mapped again with the current schema (see scheduleResync). The job then runs
 * (or, still without a notification email, is quarantined again).
 */
export async function restartJob (db: Db, jobId: string, scopes: ResetScope[], initiatedBy: string): Promise<RestartResult> {
  return await withTransaction(db, async client => {
    const job = await lockJob(client, jobId)
    if (job.statusCode === 'NotConfigured') throw new JobStateConflict('The job is not configured yet; it cannot restart.')
    const { rows: [purged] } = await client.query(
      `WITH purged AS (
         UPDATE bulk_requests SET state = 'purged', completed_at = clock_timestamp()
         WHERE job_id = $1 AND state IN ('queued', 'processing') RETURNING operation_count)
       SELECT count(*)::int AS requests, coalesce(sum(operation_count), 0)::int AS operations FROM purged`, [job.id])
    const staged = await resolveStagedOperations(client, job, scopes.includes('ForceDeletes'))
    const resync = scopes.includes('Full') ? await scheduleResync(client, job.id) : { requestIds: [], users: 0 }
    await client.query(
      `UPDATE sync_cycles SET ended_at = coalesce(ended_at, clock_timestamp())
       WHERE id = (SELECT current_cycle_id FROM sync_jobs WHERE id = $1)`, [job.id])
    await client.query(
      `UPDATE sync_jobs SET quarantine = NULL, cycle_ended_at = coalesce(cycle_ended_at, clock_timestamp()), status_code = 'Active', updated_at = now()
       WHERE id = $1`, [job.id])
    let after: JobStatusCode = 'Active'
    if (job.settings.notificationEmail === null) {
      await quarantineJob(client, { ...job, quarantine: null }, { kind: 'notificationEmailMissing' }, initiatedBy)
      after = 'Quarantine'
    }
    await notify(client, job.id)
    return { before: job.statusCode, after, purgedRequests: purged.requests, purgedOperations: purged.operations, staged, resync }
  })
}

async function lockJob (client: DbClient, jobId: string): Promise<LockedJob> {
  const { rows: [row] } = await client.query(
    'SELECT id, service_principal_id, directory_id, status_code, quarantine, settings FROM sync_jobs WHERE id = $1 FOR UPDATE', [jobId])
  if (row === undefined) throw new JobStateConflict(`Job ${jobId} no longer exists.`)
  return {
    id: row.id,
    servicePrincipalId: row.service_principal_id,
    directoryId: row.directory_id,
    statusCode: row.status_code,
    quarantine: row.quarantine ?? null,
    settings: withDefaults(row.settings)
  }
}

async function setStatus (client: DbClient, jobId: string, statusCode: JobStatusCode): Promise<void> {
  await client.query('UPDATE sync_jobs SET status_code = $2, updated_at = now() WHERE id = $1', [jobId, statusCode])
  await notify(client, jobId)
}

/** Delivered at commit: every worker re-reads the job's state. */
async function notify (client: DbClient, jobId: string): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [JOB_CHANGES_CHANNEL, jobId])
}
