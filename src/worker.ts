import pino from 'pino'
import type { Config } from './config.js'
import { createPool, type Db } from './db/pool.js'
import { loggerOptions } from './logger.js'
import { createQueueBackend, type QueueBackend } from './queue/backend.js'
import { JobQueues } from './queue/job-queues.js'
import { RequestWorkers } from './queue/request-workers.js'
import { NotificationDelivery } from './notifications/delivery.js'
import { LogRetention } from './logs/retention.js'
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js'
import { trackPool, untrackPool } from './metrics/pool-metrics.js'

export interface RunningWorker {
  workers: RequestWorkers
  notifications: NotificationDelivery
  /** Deletes provisioning log entries older than LOG_RETENTION_DAYS. */
  retention: LogRetention
  /** GET /metrics of a worker run on its own, when METRICS_PORT is set. */
  metrics?: MetricsServer
  close: () => Promise<void>
}

/**
 * The worker role: serves every provisioning job's queue, sweeps for accepted requests
 * missing from their queue, delivers the notification outbox and deletes expired provisioning
 * log entries. Any number of these may run against the same database/Redis.
 */
export async function startWorker (config: Config, shared: { db?: Db, backend?: QueueBackend } = {}): Promise<RunningWorker> {
  const databaseUrl = config.DATABASE_URL
  if (databaseUrl === undefined) throw new Error('DATABASE_URL must be resolved before starting a worker')
  const log = pino(loggerOptions(config)).child({ role: 'worker' })
  const db = shared.db ?? createPool(databaseUrl, config.DB_POOL_MAX, 'scim-inbound-worker')
  const backend = shared.backend ?? createQueueBackend({ redisUrl: config.REDIS_URL, databaseUrl, prefix: config.QUEUE_PREFIX })
  // Next to an API (`start`, which passes its pool) the API's /metrics already serves this
  // process's registry; a worker on its own has no HTTP server, so it gets one for metrics.
  // Opened before any work is taken, so a port already in use stops the worker at once.
  const runsAlone = shared.db === undefined
  const metrics = config.METRICS_PORT !== undefined && runsAlone
    ? await startMetricsServer({ host: config.HOST, port: config.METRICS_PORT, token: config.METRICS_TOKEN, log })
    : undefined
  const queues = new JobQueues(backend)
  trackPool(db)
  const workers = new RequestWorkers({
    db,
    databaseUrl,
    backend,
    queues,
    log,
    sweepIntervalMs: config.SWEEP_INTERVAL_MS,
    sweepGraceMs: config.SWEEP_GRACE_MS,
    lockDurationMs: config.WORKER_LOCK_MS
  })
  await workers.start()
  const notifications = new NotificationDelivery({ db, log, smtpUrl: config.SMTP_URL, from: config.SMTP_FROM, pollMs: config.NOTIFICATION_POLL_MS })
  notifications.start()
  const retention = new LogRetention({ db, log, retentionDays: config.LOG_RETENTION_DAYS })
  retention.start()
  log.info({ queue: backend.kind }, 'worker ready')
  return {
    workers,
    notifications,
    retention,
    metrics,
    close: async () => {
      await metrics?.close()
      await retention.close()
      await notifications.close()
      await workers.close()
      await queues.close()
      if (shared.backend === undefined) await backend.close()
      untrackPool(db)
      if (shared.db === undefined) await db.end()
    }
  }
}
