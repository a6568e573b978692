import { DelayedError } from 'bullmq'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Db } from '../db/pool.js'
import { JOB_CHANGES_CHANNEL, listAllJobStates } from '../jobs/repository.js'
import { processPendingRequests } from '../provisioning/process-pending.js'
import { PreparedRequests } from '../provisioning/prepared-requests.js'
import type { QueueBackend, RequestWorker } from './backend.js'
import { type JobQueues, queueNameFor } from './job-queues.js'
import { sweepUnqueuedRequests } from './sweeper.js'
import { throttledAnalyzer } from '../db/statistics.js'
import { beginBusy } from '../metrics/worker-metrics.js'

/** How soon a request of a job found inactive is looked at again. */
const INACTIVE_RETRY_MS = 2000

export interface RequestWorkersOptions {
  db: Db
  databaseUrl: string
  backend: QueueBackend
  queues: JobQueues
  log: Logger
  sweepIntervalMs: number
  sweepGraceMs: number
  lockDurationMs: number
}

/**
 * The consumer side: one BullMQ worker per provisioning job, each taking one request at a
 * time. Which jobs exist and whether they run is read from PostgreSQL, on a notification
 * from the API and on every sweep, so any number of worker processes agree without
 * talking to each other.
 */
export class RequestWorkers {
  private readonly workers = new Map<string, RequestWorker>()
  private listener?: pg.Client
  private timer?: NodeJS.Timeout
  private reconciling: Promise<void> = Promise.resolve()
  private closed = false
  /** Keeps planner statistics current as the directory grows; checked after every request. */
  private readonly analyzeIfChanged: () => void

  constructor (private readonly options: RequestWorkersOptions) {
    this.analyzeIfChanged = throttledAnalyzer(options.db, 2000, err => options.log.warn({ err }, 'could not refresh table statistics'))
  }

  async start (): Promise<void> {
    await this.reconcile()
    await this.listen()
    this.timer = setInterval(() => { void this.sweep() }, this.options.sweepIntervalMs)
    this.timer.unref()
  }

  /** Serialized so a notification and a timer tick never create the same worker twice. */
  reconcile (): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.reconcileNow()).catch(err => {
      this.options.log.error({ err }, 'could not read provisioning jobs')
    })
    return this.reconciling
  }

  async sweep (): Promise<void> {
    if (this.closed) return
    await this.reconcile()
    try {
      const requeued = await sweepUnqueuedRequests(this.options.db, this.options.queues, this.options.sweepGraceMs)
      if (requeued > 0) this.options.log.warn({ requeued }, 're-enqueued accepted requests that were missing from their queue')
    } catch (err) {
      this.options.log.error({ err }, 'sweep for unqueued requests failed')
    }
  }

  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    await this.listener?.end().catch(() => {})
    await this.reconciling
    // Workers finish the request in hand before closing.
    await Promise.allSettled([...this.workers.values()].map(worker => worker.close()))
    this.workers.clear()
  }

  private async reconcileNow (): Promise<void> {
    if (this.closed) return
    for (const job of await listAllJobStates(this.options.db)) {
      await this.options.queues.applyJobState(job.id, job.statusCode === 'Active')
      if (!this.workers.has(job.id)) this.workers.set(job.id, this.createWorker(job.id))
    }
  }

  private createWorker (jobId: string): RequestWorker {
    const { db, log, backend } = this.options
    const prepared = new PreparedRequests()
    const worker = backend.createWorker(queueNameFor(jobId), async (job, token) => {
      const endBusy = beginBusy()
      const result = await processPendingRequests(db, job.data.jobId, job.data.requestId, { log, prepared }).finally(endBusy)
      this.analyzeIfChanged()
      if (result.jobInactive) {
        // Not lost, not processed: the item comes back until the job is started again
        // (by then the queue is paused too, and it simply waits there).
        await job.moveToDelayed(Date.now() + INACTIVE_RETRY_MS, token)
        throw new DelayedError()
      }
      return result
    }, {
      concurrency: 1,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: Math.max(1000, Math.floor(this.options.lockDurationMs / 2)),
      maxStalledCount: 3
    })
    worker.on('error', err => log.error({ err, jobId }, 'queue worker error'))
    worker.on('failed', (job, err) => log.warn({ err, jobId, requestId: job?.data?.requestId }, 'bulk request attempt failed'))
    return worker
  }

  private async listen (): Promise<void> {
    const listener = new pg.Client({ connectionString: this.options.databaseUrl, application_name: 'scim-inbound-listen' })
    listener.on('error', () => {})
    listener.on('notification', () => { void this.reconcile() })
    await listener.connect()
    await listener.query(`LISTEN ${JOB_CHANGES_CHANNEL}`)
    this.listener = listener
  }
}
