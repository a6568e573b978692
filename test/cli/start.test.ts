import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/paths.js'
import { firstDirectoryClosedToOthers } from '../../src/db/postgres-user-access.js'

async function freePort (): Promise<number> {
  return await new Promise(resolve => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

interface RunningStart {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

/** `scim-inbound start` as a process, resolved once it printed its ready command. */
async function start (t: Test, env: Record<string, string>): Promise<RunningStart> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'cli.ts'), 'start'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', chunk => { output += String(chunk) })
  child.stderr.on('data', chunk => { output += String(chunk) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  })
  const deadline = Date.now() + 90_000
  while (!output.includes('Then follow the Location header')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`start did not become ready:\n${output}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return { child, output: () => output, exited }
}

/** What start printed: the URL, token, payload file and directory of the demo. */
function demoOf (output: string): { token: string, uploadUrl: string, payloadFile: string, directoryId: string } {
  const token = /export TOKEN=(\S+)/.exec(output)?.[1]
  const uploadUrl = /bulkUpload URL: (\S+)/.exec(output)?.[1]
  const payloadFile = /--data-binary @(\S+)/.exec(output)?.[1]
  const directoryId = /Demo directory \(contoso\.com\): (\S+)/.exec(output)?.[1]
  if (token === undefined || uploadUrl === undefined || payloadFile === undefined || directoryId === undefined) throw new Error(`start did not print its demo:\n${output}`)
  return { token, uploadUrl, payloadFile, directoryId }
}

/** Posts the printed payload as the printed curl does, and waits for its request to complete. */
async function provisionDemoPayload (t: Test, demo: ReturnType<typeof demoOf>): Promise<void> {
  const accepted = await fetch(demo.uploadUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${demo.token}`, 'content-type': 'application/scim+json' },
    body: readFileSync(demo.payloadFile, 'utf8')
  })
  t.equal(accepted.status, 202)
  const location = accepted.headers.get('location')!
  let status: any
  for (let i = 0; i < 200; i++) {
    status = await (await fetch(location, { headers: { authorization: `Bearer ${demo.token}` } })).json()
    if (status.state === 'completed') break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.equal(status.state, 'completed')
  t.same(status.operations.map((op: any) => op.status), ['success', 'success', 'success'])
}

async function demoUserNames (port: number, demo: ReturnType<typeof demoOf>): Promise<string[]> {
  const users = await (await fetch(`http://127.0.0.1:${port}/directories/${demo.directoryId}/users`, { headers: { authorization: `Bearer ${demo.token}` } })).json()
  return users.value.map((user: any) => user.userPrincipalName).sort()
}

async function stopped (t: Test, running: RunningStart): Promise<void> {
  running.child.kill('SIGTERM')
  const code = await running.exited
  t.equal(code, 0, 'stops cleanly on SIGTERM, embedded PostgreSQL included', code === 0 ? {} : { output: running.output().slice(-4000) })
}

/** A directory for PostgreSQL's relocated programs and data (as root in a closed checkout) that the test removes. */
function scratchHome (t: Test): string {
  const home = mkdtempSync(path.join(tmpdir(), 'scim-pg-home-'))
  chmodSync(home, 0o755)
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  return home
}

const CHECKOUT_CLOSED = process.getuid?.() === 0 && firstDirectoryClosedToOthers(PROJECT_ROOT) !== undefined

/**
 * The promise of `npm ci && npm start` on a machine with only Node: no DATABASE_URL, no
 * REDIS_URL, an embedded PostgreSQL, a demo job, and a printed curl that provisions users.
 * As root in a checkout closed to the postgres user, PostgreSQL runs from EMBEDDED_PG_HOME.
 */
t.test('start with no configuration runs everything and its printed command provisions users', async t => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'scim-start-'))
  // As a project folder would be: PostgreSQL runs as its own user when we are root.
  chmodSync(dataDir, 0o755)
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const home = scratchHome(t)
  const port = await freePort()
  const running = await start(t, { DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), EMBEDDED_PG_HOME: home })
  const demo = demoOf(running.output())
  t.match(running.output(), `curl -i -X POST '${demo.uploadUrl}'`)
  if (CHECKOUT_CLOSED) t.match(running.output(), `(on the way to its programs): it runs from EMBEDDED_PG_HOME instead, its programs copied to ${home}/postgres-`, 'says where PostgreSQL runs from, and why')
  else t.notMatch(running.output(), 'EMBEDDED_PG_HOME', 'runs PostgreSQL from the package when the postgres user can reach it')

  await provisionDemoPayload(t, demo)
  t.same(await demoUserNames(port, demo), ['bjensen@contoso.com', 'jsmith@contoso.com', 'kjensen@contoso.com'])
  await stopped(t, running)
})

t.test('as root, a DATA_DIR closed to the postgres user: PostgreSQL keeps its data under EMBEDDED_PG_HOME, across restarts', { skip: process.getuid?.() !== 0 && 'only root runs PostgreSQL as another user' }, async t => {
  const closed = mkdtempSync(path.join(tmpdir(), 'scim-closed-'))
  chmodSync(closed, 0o700)
  t.teardown(() => rmSync(closed, { recursive: true, force: true }))
  const dataDir = path.join(closed, '.data')
  const home = scratchHome(t)
  const env = { DATA_DIR: dataDir, EMBEDDED_PG_HOME: home, EMBEDDED_PG_PORT: String(await freePort()) }

  const port = await freePort()
  const first = await start(t, { ...env, PORT: String(port) })
  t.match(first.output(), `${closed} (on the way to its data): it runs from EMBEDDED_PG_HOME instead`)
  t.match(first.output(), `its data (for ${path.join(dataDir, 'pg')}) kept in ${home}/cluster-`)
  const demo = demoOf(first.output())
  await provisionDemoPayload(t, demo)
  await stopped(t, first)
  const clusters = readdirSync(home).filter(name => name.startsWith('cluster-'))
  t.equal(clusters.length, 1, 'one cluster, in the home')
  t.ok(existsSync(path.join(home, clusters[0]!, 'PG_VERSION')))
  t.notOk(existsSync(path.join(dataDir, 'pg', 'PG_VERSION')), 'none in the closed DATA_DIR')

  const again = await start(t, { ...env, PORT: String(port) })
  t.equal(demoOf(again.output()).directoryId, demo.directoryId, 'the same demo, from the same cluster')
  t.same(await demoUserNames(port, demo), ['bjensen@contoso.com', 'jsmith@contoso.com', 'kjensen@contoso.com'], 'the users provisioned before the restart')
  await stopped(t, again)
})
