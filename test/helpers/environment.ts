import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'
import { loadConfig, type Config } from '../../src/config.js'
import { createPool } from '../../src/db/pool.js'
import { migrate } from '../../src/db/migrate.js'
import { testServerUrl } from '../setup/embedded-server.js'

export const JWT_SECRET = 'test-secret-that-is-long-enough'

/** The server the suite runs against: DATABASE_URL, or the embedded one `before` started. */
export function adminDatabaseUrl (): string {
  const url = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '' ? process.env.DATABASE_URL : testServerUrl()
  if (url === undefined) throw new Error('no test database: set DATABASE_URL or run through tap (its `before` starts an embedded PostgreSQL)')
  return url
}

export const redisUrl = (): string | undefined => process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL

function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/**
 * A fresh, migrated database for one test (dropped at teardown), so test files run in
 * parallel without seeing each other's directories, jobs or queues.
 */
export async function createTestDatabase (t: Test): Promise<string> {
  const name = `scim_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = withDatabase(adminDatabaseUrl(), name)
  const db = createPool(url, 1)
  await migrate(db)
  await db.end()
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: adminDatabaseUrl() })
    await client.connect()
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await client.end()
  })
  return url
}

/** Configuration for one test: its own database and, on Redis, its own key prefix. */
export async function testConfig (t: Test, overrides: Partial<Config> = {}): Promise<Config> {
  const databaseUrl = await createTestDatabase(t)
  return loadConfig({}, {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: `scim-test-${randomBytes(4).toString('hex')}`,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_MS: 200,
    SWEEP_GRACE_MS: 300,
    WORKER_LOCK_MS: 2000,
    // Tests act as one client polling every few milliseconds; the limiter still runs on
    // every request, but only test/http/throttling.test.ts sets a budget it can reach.
    RATE_LIMIT_PER_SECOND: 1_000_000,
    ...overrides
  })
}
