import { Gauge, Registry } from 'prom-client'
import type { Db } from '../db/pool.js'

/**
 * At most this many jobs get per-job series (the deepest queues, the quarantined jobs
 * first), so a deployment with thousands of jobs cannot blow up a scrape or Prometheus.
 */
export const MAX_REPORTED_JOBS = 100

const JOB_STATES = ['NotConfigured', 'NotRun', 'Active', 'Paused', 'Quarantine'] as const

/**
 * Gauges read from PostgreSQL when scraped: what waits in each job's queue and how the jobs
 * stand. They describe the whole deployment, not this process, so the API serves them and
 * workers do not (every worker would report the same numbers). Per scrape: one query over
 * the waiting requests (the partial index bulk_requests_pending holds just those) and two
 * over sync_jobs, a table of one row per job.
 */
export class DatabaseGauges {
  readonly registry = new Registry()
  private refreshing: Promise<void> | undefined

  private readonly up = this.gauge('scim_inbound_metrics_database_up', 'Whether the last scrape could read the gauges below from PostgreSQL (1) or not (0).')
  private readonly waitingRequests = this.gauge('scim_inbound_queue_waiting_requests', 'Bulk requests accepted and not yet completed (queued or processing), by job; jobs with none have no series.', ['job'])
  private readonly waitingOperations = this.gauge('scim_inbound_queue_waiting_operations', 'Operations in those requests, by job.', ['job'])
  private readonly oldestWaitingAge = this.gauge('scim_inbound_queue_oldest_waiting_age_seconds', 'Age of the oldest request waiting, by job.', ['job'])
  private readonly jobsWithWaitingRequests = this.gauge('scim_inbound_queue_jobs_waiting', `Jobs with requests waiting; only the ${MAX_REPORTED_JOBS} deepest have per-job series.`)
  private readonly jobs = this.gauge('scim_inbound_jobs', 'Provisioning jobs by state.', ['state'])
  private readonly quarantined = this.gauge('scim_inbound_job_quarantined', `1 while the job is in quarantine (with Graph's reason and the error code), else 0; the ${MAX_REPORTED_JOBS} first jobs, quarantined ones first.`, ['job', 'reason', 'error_code'])

  constructor (private readonly db: Db, private readonly log?: { warn: (details: object, message: string) => void }) {}

  /** Reads the gauges now; scrapes arriving while a read is in flight share it. */
  refresh (): Promise<void> {
    this.refreshing ??= this.read().finally(() => { this.refreshing = undefined })
    return this.refreshing
  }

  private async read (): Promise<void> {
    let snapshot: Snapshot
    try {
      snapshot = await readSnapshot(this.db)
    } catch (err) {
      this.log?.warn({ err }, 'metrics: could not read queue and job gauges from PostgreSQL')
      for (const gauge of [this.waitingRequests, this.waitingOperations, this.oldestWaitingAge, this.jobsWithWaitingRequests, this.jobs, this.quarantined]) gauge.reset()
      this.up.set(0)
      return
    }
    this.up.set(1)

    this.waitingRequests.reset()
    this.waitingOperations.reset()
    this.oldestWaitingAge.reset()
    for (const row of snapshot.queues) {
      this.waitingRequests.set({ job: row.job_id }, row.requests)
      this.waitingOperations.set({ job: row.job_id }, Number(row.operations))
      this.oldestWaitingAge.set({ job: row.job_id }, Math.max(0, row.oldest_age_seconds))
    }
    this.jobsWithWaitingRequests.set(snapshot.queues[0]?.jobs_waiting ?? 0)

    this.jobs.reset()
    for (const state of JOB_STATES) this.jobs.set({ state }, 0)
    for (const row of snapshot.states) this.jobs.set({ state: row.status_code }, row.jobs)

    this.quarantined.reset()
    for (const row of snapshot.jobs) {
      const inQuarantine = row.status_code === 'Quarantine'
      this.quarantined.set({ job: row.id, reason: inQuarantine ? row.reason ?? '' : '', error_code: inQuarantine ? row.error_code ?? '' : '' }, inQuarantine ? 1 : 0)
    }
  }

  private gauge<L extends string = never> (name: string, help: string, labelNames: L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] })
  }
}

interface Snapshot {
  queues: Array<{ job_id: string, requests: number, operations: string, oldest_age_seconds: number, jobs_waiting: number }>
  states: Array<{ status_code: string, jobs: number }>
  jobs: Array<{ id: string, status_code: string, reason: string | null, error_code: string | null }>
}

async function readSnapshot (db: Db): Promise<Snapshot> {
  const [{ rows: queues }, { rows: states }, { rows: jobs }] = await Promise.all([
    // The window count is taken before LIMIT: it says how many jobs have requests waiting.
    db.query(
      `SELECT job_id, count(*)::int AS requests, sum(operation_count)::bigint AS operations,
         extract(epoch FROM clock_timestamp() - min(received_at))::float8 AS oldest_age_seconds,
         (count(*) OVER ())::int AS jobs_waiting
       FROM bulk_requests WHERE state IN ('queued', 'processing')
       GROUP BY job_id ORDER BY count(*) DESC, job_id LIMIT $1`, [MAX_REPORTED_JOBS]),
    db.query('SELECT status_code, count(*)::int AS jobs FROM sync_jobs GROUP BY status_code'),
    db.query(
      `SELECT id, status_code, quarantine->>'reason' AS reason, quarantine->>'errorCode' AS error_code
       FROM sync_jobs ORDER BY status_code = 'Quarantine' DESC, id LIMIT $1`, [MAX_REPORTED_JOBS])
  ])
  return { queues, states, jobs }
}
