import pino from 'pino'
import type { Config } from './config.js'
import { createPool, type Db } from './db/pool.js'
import { loggerOptions } from './logger.js'
import { createQueueBackend, type QueueBackend } from './queue/backend.js'
import { JobQueues } from './queue/job-queues.js'
import { RequestWorkers } from './queue/request-workers.js'
import { NotificationDelivery } from './notifications/delivery.js'

export interface RunningWorker {
  workers: RequestWorkers
  notifications: NotificationDelivery
  close: () => Promise<void>
}

/**
 * The worker role: serves every provisioning job's queue, sweeps for accepted requests
 * missing from their queue, and delivers the notification outbox. Any number of these may run against the same database/Redis.
 */
export async function startWorker (config: Config, shared: { db?: Db, backend?: QueueBackend } = {}): Promise<RunningWorker> {
  const databaseUrl = config.DATABASE_URL
  if (databaseUrl === undefined) throw new Error('DATABASE_URL must be resolved before starting a worker')
  const log = pino(loggerOptions(config)).child({ role: 'worker' })
  const db = shared.db ?? createPool(databaseUrl, config.DB_POOL_MAX, 'scim-inbound-worker')
  const backend = shared.backend ?? createQueueBackend({ redisUrl: config.REDIS_URL, databaseUrl, prefix: config.QUEUE_PREFIX })
  const queues = new JobQueues(backend)
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
  log.info({ queue: backend.kind }, 'worker ready')
  return {
    workers,
    notifications,
    close: async () => {
      await notifications.close()
      await workers.close()
      await queues.close()
      if (shared.backend === undefined) await backend.close()
      if (shared.db === undefined) await db.end()
    }
  }
}
