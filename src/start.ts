import closeWithGrace from 'close-with-grace'
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
    embedded = await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT)
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
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    await app.close()
    await worker.close()
    await backend.close()
    await db.end()
    await embedded?.stop()
  })
}
