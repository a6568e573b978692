import envSchema from 'env-schema'

/**
 * Every process (api, worker, start, migrate, token) reads the same typed configuration,
 * validated once from the environment. Absent DATABASE_URL means "run an embedded
 * PostgreSQL under DATA_DIR"; absent REDIS_URL means "queue on BullMQ's PostgreSQL backend".
 */
export interface Config {
  HOST: string
  PORT: number
  /** Base URL used in Location headers and printed commands; derived from the request when unset. */
  PUBLIC_URL?: string
  LOG_LEVEL: string
  DATABASE_URL?: string
  DB_POOL_MAX: number
  REDIS_URL?: string
  /** Namespaces BullMQ keys in Redis so several deployments (or test files) can share one server. */
  QUEUE_PREFIX: string
  DATA_DIR: string
  EMBEDDED_PG_PORT: number
  EMBEDDED_PG_HOME: string
  JWT_SECRET?: string
  JWT_ISSUER?: string
  JWT_AUDIENCE?: string
  JWKS_URL?: string
  /** How often a worker looks for accepted requests that are not in their queue. */
  SWEEP_INTERVAL_MS: number
  /** A request is only re-enqueued by the sweeper once it has waited this long. */
  SWEEP_GRACE_MS: number
  /** BullMQ lock on a request being processed; a killed worker's request is retried after it lapses. */
  WORKER_LOCK_MS: number
  SHUTDOWN_DELAY_MS: number
  /** `scim-inbound api` runs this many API processes on its port (node:cluster); 1: the process itself serves. */
  API_PROCESSES: number
  /** `start` creates a demo directory and job on first run. */
  DEMO: boolean
  /** smtp://user:pass@host:port (or smtps://); unset keeps notifications in the outbox only. */
  SMTP_URL?: string
  /** From address of notification mail. */
  SMTP_FROM: string
  /** How often a worker looks for notifications due for delivery. */
  NOTIFICATION_POLL_MS: number
  /** Port of a separate worker process's GET /metrics (on HOST); unset: not served. The API serves /metrics on PORT. */
  METRICS_PORT?: number
  /** When set, GET /metrics (API and worker) requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN?: string
  /** Requests per second each client (token's client id, else IP address) may make on average; 0: no limit. */
  RATE_LIMIT_PER_SECOND: number
  /** Requests a client may make at once; counted in windows of BURST ÷ PER_SECOND seconds. Unset: RATE_LIMIT_PER_SECOND. */
  RATE_LIMIT_BURST?: number
  /** Waiting operations above which a job's uploads get 429, unless the job sets maxBacklogOperations; 0: no bound. */
  MAX_BACKLOG_OPERATIONS: number
  /** Provisioning log entries older than this many days are deleted by the workers; 0 keeps them for ever. */
  LOG_RETENTION_DAYS: number
  /** How far V8 lets the heap grow past what the last full collection kept, in percent; 0: V8's own choice; unset: the role's default. */
  HEAP_GROWTH_PERCENT?: number
}

const schema = {
  type: 'object',
  properties: {
    HOST: { type: 'string', default: '0.0.0.0' },
    PORT: { type: 'integer', default: 3000 },
    PUBLIC_URL: { type: 'string' },
    LOG_LEVEL: { type: 'string', default: 'info', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    DATABASE_URL: { type: 'string' },
    DB_POOL_MAX: { type: 'integer', minimum: 1, default: 10 },
    REDIS_URL: { type: 'string' },
    QUEUE_PREFIX: { type: 'string', default: 'scim-inbound' },
    DATA_DIR: { type: 'string', default: './.data' },
    EMBEDDED_PG_PORT: { type: 'integer', default: 54329 },
    EMBEDDED_PG_HOME: { type: 'string', default: '/var/lib/scim-inbound' },
    JWT_SECRET: { type: 'string', minLength: 16 },
    JWT_ISSUER: { type: 'string' },
    JWT_AUDIENCE: { type: 'string' },
    JWKS_URL: { type: 'string' },
    SWEEP_INTERVAL_MS: { type: 'integer', minimum: 100, default: 5000 },
    SWEEP_GRACE_MS: { type: 'integer', minimum: 0, default: 10000 },
    WORKER_LOCK_MS: { type: 'integer', minimum: 1000, default: 30000 },
    SHUTDOWN_DELAY_MS: { type: 'integer', minimum: 0, default: 10000 },
    API_PROCESSES: { type: 'integer', minimum: 1, maximum: 64, default: 1 },
    DEMO: { type: 'boolean', default: true },
    SMTP_URL: { type: 'string' },
    SMTP_FROM: { type: 'string', default: 'scim-inbound <no-reply@localhost>' },
    NOTIFICATION_POLL_MS: { type: 'integer', minimum: 100, default: 5000 },
    METRICS_PORT: { type: 'integer', minimum: 0, maximum: 65535 },
    METRICS_TOKEN: { type: 'string', minLength: 1 },
    RATE_LIMIT_PER_SECOND: { type: 'integer', minimum: 0, default: 100 },
    RATE_LIMIT_BURST: { type: 'integer', minimum: 1 },
    MAX_BACKLOG_OPERATIONS: { type: 'integer', minimum: 0, default: 200000 },
    LOG_RETENTION_DAYS: { type: 'integer', minimum: 0, default: 30 },
    HEAP_GROWTH_PERCENT: { type: 'integer', minimum: 0, maximum: 1000 }
  }
} as const

export function loadConfig (env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  // Empty strings in the environment mean "not set" (compose files and shells produce them).
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
  const config = envSchema<Config>({ schema, data, dotenv: false })
  return { ...config, ...overrides }
}
