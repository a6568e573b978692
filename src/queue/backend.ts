import { Queue as RedisQueue, Worker as RedisWorker, createPostgresBackend, withBackend } from 'bullmq'
import type { Job, Processor, QueueOptions, WorkerOptions } from 'bullmq'
import { Redis } from 'ioredis'

/** What a queued item carries: a pointer to the durable row, never the payload itself. */
export interface RequestJobData {
  requestId: string
  jobId: string
  /** Epoch ms when the 202 was sent, for accept→commit latency. */
  acceptedAt: number
}

/** The slice of BullMQ's Queue and Worker this service uses, whichever backend is behind it. */
export interface RequestQueue {
  add: (name: string, data: RequestJobData, opts: { jobId: string, removeOnComplete: boolean | number, removeOnFail: boolean | number, attempts: number, backoff: { type: 'exponential' | 'fixed', delay: number } }) => Promise<unknown>
  getJobState: (id: string) => Promise<string>
  getJob: (id: string) => Promise<Job<RequestJobData> | undefined>
  pause: () => Promise<void>
  resume: () => Promise<void>
  isPaused: () => Promise<boolean>
  setGlobalConcurrency: (concurrency: number) => Promise<unknown>
  getGlobalConcurrency: () => Promise<number | null>
  getJobCounts: (...states: string[]) => Promise<Record<string, number>>
  obliterate: (opts?: { force?: boolean }) => Promise<void>
  close: () => Promise<void>
}

export interface RequestWorker {
  close: (force?: boolean) => Promise<void>
  on: (event: 'failed' | 'error', listener: (...args: any[]) => void) => unknown
  waitUntilReady: () => Promise<unknown>
}

export interface QueueBackend {
  kind: 'redis' | 'postgres'
  /** Throws when the queue store cannot be reached (readiness). */
  ping: () => Promise<void>
  createQueue: (name: string) => RequestQueue
  createWorker: (name: string, processor: Processor<RequestJobData>, opts: Pick<WorkerOptions, 'concurrency' | 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>) => RequestWorker
  close: () => Promise<void>
}

/**
 * REDIS_URL set → BullMQ on Redis (one shared connection for producers, BullMQ opens the
 * blocking ones workers need). Otherwise BullMQ's own PostgreSQL backend in the service's
 * database, so a machine with only Node needs no Redis.
 */
export function createQueueBackend (options: { redisUrl?: string, databaseUrl: string, prefix: string }): QueueBackend {
  if (options.redisUrl !== undefined) return redisBackend(options.redisUrl, options.prefix)
  return postgresBackend(options.databaseUrl)
}

function redisBackend (url: string, prefix: string): QueueBackend {
  // Producers give up after one reconnection attempt when Redis is down: the request is
  // already committed in PostgreSQL and the sweeper enqueues it later, so waiting on Redis
  // gains nothing.
  const producer = new Redis(url, { maxRetriesPerRequest: 1 })
  producer.on('error', () => {})
  const workerConnection = { url, maxRetriesPerRequest: null }
  return {
    kind: 'redis',
    ping: async () => { await producer.ping() },
    createQueue: name => new RedisQueue<RequestJobData>(name, { connection: producer, prefix } satisfies QueueOptions) as unknown as RequestQueue,
    createWorker: (name, processor, opts) => new RedisWorker<RequestJobData>(name, processor, { ...opts, connection: workerConnection, prefix }),
    close: async () => { producer.disconnect() }
  }
}

function postgresBackend (databaseUrl: string): QueueBackend {
  const { Queue, Worker } = withBackend(createPostgresBackend)
  // Each queue and worker owns a small pool; BullMQ's tables live in their own schema.
  const connection = { connectionString: databaseUrl, max: 2, migrate: true }
  return {
    kind: 'postgres',
    // The queue lives in the service's own database, which readiness checks already.
    ping: async () => {},
    createQueue: name => new Queue<RequestJobData>(name, { connection }) as unknown as RequestQueue,
    createWorker: (name, processor, opts) => new Worker<RequestJobData>(name, processor, { ...opts, connection }),
    close: async () => {}
  }
}
