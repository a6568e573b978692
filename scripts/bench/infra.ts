/**
 * The bench's own PostgreSQL database (dropped and created, migrated, dropped at the end)
 * and its Redis key prefix (deleted at the end).
 */
import pg from 'pg'
import { Redis } from 'ioredis'
import { createPool } from '../../src/db/pool.js'
import { migrate } from '../../src/db/migrate.js'
import { postmasterOf } from './processes.js'

export const BENCH_DATABASE = 'scim_bench'

export function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** Refuses anything but a loopback server: the bench drops databases and floods the queue. */
export function assertLoopback (url: string, what: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new Error(`${what} must point at a loopback address, got ${host}`)
}

async function admin<T> (adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'scim-bench-admin' })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Drops and creates the bench database, applies the migrations; returns its URL. */
export async function createBenchDatabase (adminUrl: string): Promise<{ url: string, applied: string[] }> {
  await admin(adminUrl, async client => {
    await client.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${BENCH_DATABASE}`)
  })
  const url = withDatabase(adminUrl, BENCH_DATABASE)
  const db = createPool(url, 1, 'scim-bench-migrate')
  try {
    return { url, applied: await migrate(db) }
  } finally {
    await db.end()
  }
}

export async function dropBenchDatabase (adminUrl: string): Promise<void> {
  await admin(adminUrl, async client => { await client.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`) })
}

/** A few settings that explain the numbers, and the postmaster's PID (the parent of our backend, read while it lives). */
export async function serverSettings (url: string): Promise<{ settings: Record<string, string>, postmasterPid?: number }> {
  return await admin(url, async client => {
    const { rows } = await client.query(`SELECT name, setting, unit FROM pg_settings
      WHERE name IN ('shared_buffers', 'synchronous_commit', 'autovacuum', 'max_wal_size', 'fsync')`)
    const { rows: [backend] } = await client.query('SELECT pg_backend_pid() AS pid')
    return {
      settings: Object.fromEntries(rows.map(row => [row.name, row.unit === '8kB' ? `${Number(row.setting) * 8 / 1024} MB` : `${row.setting}${row.unit ?? ''}`])),
      postmasterPid: postmasterOf(backend.pid as number)
    }
  })
}

/** True when Redis answers PING within two seconds. */
export async function redisReachable (url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

/** The Redis server's PID (INFO server), to account its CPU. */
export async function redisServerPid (url: string): Promise<number | undefined> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000 })
  redis.on('error', () => {})
  try {
    const match = /^process_id:(\d+)/m.exec(await redis.info('server'))
    return match === null ? undefined : Number(match[1])
  } catch {
    return undefined
  } finally {
    redis.disconnect()
  }
}

/** Deletes every key under the bench's queue prefix (bounded: at most 200 SCAN rounds). */
export async function deleteRedisPrefix (url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000 })
  redis.on('error', () => {})
  let deleted = 0
  try {
    let cursor = '0'
    for (let round = 0; round < 200; round++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      if (keys.length > 0) deleted += await redis.unlink(...keys)
      cursor = next
      if (cursor === '0') break
    }
    return deleted
  } finally {
    redis.disconnect()
  }
}
