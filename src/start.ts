import closeWithGrace from 'close-with-grace'
import pg from 'pg'
import { buildApp } from './app.js'
import type { Config } from './config.js'
import { createPool } from './db/pool.js'
import { migrate } from './db/migrate.js'
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js'
import { localJwtSecret } from './auth/local-secret.js'
import { createQueueBackend } from './queue/backend.js'
import { startWorker } from './worker.js'
import { ensureDemo } from './demo.js'
import { printWelcome } from './welcome.js'

/**
 * All in one process for a machine with only Node: embedded PostgreSQL when DATABASE_URL
 * is unset, migrations, the API, the worker, and a demo job on first start.
 */
export async function runStart (input: Config): Promise<void> {
  const config: Config = { ...input }
  let embedded: EmbeddedDatabase | undefined
  if (config.DATABASE_URL === undefined) {
    embedded = await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT, config.EMBEDDED_PG_HOME)
    if (embedded.notice !== undefined) process.stdout.write(`${embedded.notice}\n`)
    config.DATABASE_URL = embedded.url
  }
  if (config.JWT_SECRET === undefined && config.JWKS_URL === undefined) config.JWT_SECRET = localJwtSecret(config.DATA_DIR)
  const db = createPool(config.DATABASE_URL, config.DB_POOL_MAX, 'scim-inbound')
  await migrate(db)
  const demo = config.DEMO ? await ensureDemo(db) : undefined
  const backend = createQueueBackend({ redisUrl: config.REDIS_URL, databaseUrl: config.DATABASE_URL, prefix: config.QUEUE_PREFIX })
  const app = await buildApp(config, { db, queueBackend: backend })
  const worker = await startWorker(config, { db, backend })
  await app.listen({ host: config.HOST, port: config.PORT })
  if (demo !== undefined) printWelcome(config, demo, embedded !== undefined)

  closeWithGrace({ delay: config.SHUTDOWN_DELAY_MS }, async ({ err }) => {
    const closing = Date.now()
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    await app.close()
    await worker.close()
    await backend.close()
    await db.end()
    if (embedded !== undefined) {
      // What is left of the shutdown's time, less a second for PostgreSQL's own stop.
      const waitMs = Math.max(5000, config.SHUTDOWN_DELAY_MS - (Date.now() - closing) - 1000)
      const left = await untilClientsLeft(config.DATABASE_URL!, waitMs)
      if (left.length > 0) app.log.warn({ connections: left }, 'stopping the embedded PostgreSQL with connections still open')
      await embedded.stop()
    }
  })
}

/**
 * BullMQ's PostgreSQL backend ends its connections a moment after its close() resolves; a
 * server stopped before that terminates them, and the error they raise would turn a clean
 * shutdown into a failed one. Waits (up to `waitMs`) until no other connection to the
 * server is left, in any database, for a few readings in a row: one closing and another
 * opening between two readings must not pass for quiet. On a loaded machine a connection
 * has outlasted five seconds, so the wait takes what the shutdown's time allows. Returns
 * the connections still open when it gave up (none when quiet), for the log.
 */
async function untilClientsLeft (databaseUrl: string, waitMs: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  client.on('error', () => {})
  try {
    await client.connect()
    const deadline = Date.now() + waitMs
    let quietReadings = 0
    let left: string[] = []
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ connection: string }>(
        `SELECT format('%s (%s, %s s old): %s', coalesce(nullif(application_name, ''), 'unnamed'), state,
           round(extract(epoch FROM now() - backend_start)), left(query, 80)) AS connection
         FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`)
      left = rows.map(row => row.connection)
      quietReadings = left.length === 0 ? quietReadings + 1 : 0
      if (quietReadings === 3) return []
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return left
  } catch {
    // The server is already unreachable: nothing is left to wait for.
    return []
  } finally {
    await client.end().catch(() => {})
  }
}
