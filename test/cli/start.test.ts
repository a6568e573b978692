import t from 'tap'
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
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

/**
 * The promise of `npm ci && npm start` on a machine with only Node: no DATABASE_URL, no
 * REDIS_URL, an embedded PostgreSQL, a demo job, and a printed curl that provisions users.
 */
// As root, PostgreSQL runs as the `postgres` user, which cannot use a checkout inside a
// directory closed to others (`mktemp -d`): then `start` is expected to say so, not to run.
const closedToPostgres = process.getuid?.() === 0 ? firstDirectoryClosedToOthers(PROJECT_ROOT) : undefined

t.test('start with no configuration runs everything and its printed command provisions users', { skip: closedToPostgres !== undefined && `as root, ${closedToPostgres} is closed to the postgres user` }, async t => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'scim-start-'))
  // As a project folder would be: PostgreSQL runs as its own user when we are root.
  chmodSync(dataDir, 0o755)
  const port = await freePort()
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn' }
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'cli.ts'), 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', chunk => { output += String(chunk) })
  child.stderr.on('data', chunk => { output += String(chunk) })
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await new Promise(resolve => child.once('exit', resolve))
    }
    rmSync(dataDir, { recursive: true, force: true })
  })

  const deadline = Date.now() + 90_000
  while (!output.includes('Then follow the Location header')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`start did not become ready:\n${output}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const token = /export TOKEN=(\S+)/.exec(output)?.[1]
  const uploadUrl = /bulkUpload URL: (\S+)/.exec(output)?.[1]
  const payloadFile = /--data-binary @(\S+)/.exec(output)?.[1]
  const directoryId = /Demo directory \(contoso\.com\): (\S+)/.exec(output)?.[1]
  t.ok(token !== undefined && uploadUrl !== undefined && payloadFile !== undefined && directoryId !== undefined, 'prints URL, token, payload and directory')
  t.match(output, `curl -i -X POST '${uploadUrl!}'`)

  const accepted = await fetch(uploadUrl!, {
    method: 'POST',
    headers: { authorization: `Bearer ${token!}`, 'content-type': 'application/scim+json' },
    body: readFileSync(payloadFile!, 'utf8')
  })
  t.equal(accepted.status, 202)
  const location = accepted.headers.get('location')!
  let status: any
  for (let i = 0; i < 200; i++) {
    status = await (await fetch(location, { headers: { authorization: `Bearer ${token!}` } })).json()
    if (status.state === 'completed') break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.equal(status.state, 'completed')
  t.same(status.operations.map((op: any) => op.status), ['success', 'success', 'success'])
  const users = await (await fetch(`http://127.0.0.1:${port}/directories/${directoryId!}/users`, { headers: { authorization: `Bearer ${token!}` } })).json()
  t.same(users.value.map((user: any) => user.userPrincipalName).sort(), ['bjensen@contoso.com', 'jsmith@contoso.com', 'kjensen@contoso.com'])

  child.kill('SIGTERM')
  const code = await new Promise(resolve => child.once('exit', resolve))
  t.equal(code, 0, 'stops cleanly on SIGTERM, embedded PostgreSQL included', code === 0 ? {} : { output: output.slice(-4000) })
})

t.test('as root in a checkout closed to the postgres user, start says which directory and what to do', { skip: closedToPostgres === undefined && 'the checkout is open to the postgres user' }, async t => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'scim-start-'))
  chmodSync(dataDir, 0o755)
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()) }
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'cli.ts'), 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', chunk => { output += String(chunk) })
  child.stderr.on('data', chunk => { output += String(chunk) })
  const code = await new Promise(resolve => child.once('exit', resolve))
  t.equal(code, 1)
  t.match(output, `cannot enter ${closedToPostgres!}`)
  t.match(output, /chmod o\+x .*DATABASE_URL/)
  t.notMatch(output, /EACCES|\n\s+at /, 'no bare error, no stack trace')
})
