import { readdir } from 'node:fs/promises'
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import path from 'node:path'
import pg from 'pg'
import { createVerifier } from 'fast-jwt'
import { PROJECT_ROOT } from '../../src/paths.js'
import { createTestDatabase } from '../helpers/environment.js'

const run = promisify(execFile)
const cli = (args: string[], env: Record<string, string>): ReturnType<typeof run> =>
  run(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'cli.ts'), ...args], { env: { PATH: process.env.PATH ?? '', ...env } })

t.test('token mints an HS256 token with the given roles and client id', async t => {
  const { stdout } = await cli(['token', '--roles', 'SynchronizationData-User.Upload,User.Read.All', '--sub', 'hr-connector', '--expires-in', '120'], { JWT_SECRET: 'a-secret-of-some-length' })
  const claims = createVerifier({ key: 'a-secret-of-some-length', algorithms: ['HS256'] })(String(stdout).trim())
  t.same(claims.roles, ['SynchronizationData-User.Upload', 'User.Read.All'])
  t.equal(claims.sub, 'hr-connector')
  t.ok(claims.exp - claims.iat === 120)
})

t.test('migrate applies the migrations once, even from several processes at the same time', async t => {
  const url = await createTestDatabase(t)
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  // Back to an empty database: every table the migrations create goes.
  await db.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public')
  const migrations = (await readdir(new URL('../../migrations/', import.meta.url))).filter(file => file.endsWith('.sql')).sort()
  const results = await Promise.all([1, 2, 3].map(async () => await cli(['migrate'], { DATABASE_URL: url })))
  t.same(results.map(result => String(result.stdout).trim()).sort(), [`applied ${migrations.join(', ')}`, 'database is up to date', 'database is up to date'])
  const { rows } = await db.query('SELECT name FROM schema_migrations ORDER BY name')
  t.same(rows, migrations.map(name => ({ name })))
})

t.test('api and worker refuse to run without DATABASE_URL, saying why', async t => {
  for (const command of ['api', 'worker']) {
    const failure = await cli([command], { JWT_SECRET: 'a-secret-of-some-length' }).then(() => undefined, (err: { code: number, stderr: string }) => err)
    t.equal(failure?.code, 1)
    t.match(failure?.stderr, /DATABASE_URL is not set/)
  }
})

t.test('an unknown command prints the usage and fails', async t => {
  const failure = await cli(['frobnicate'], {}).then(() => undefined, (err: { code: number, stderr: string }) => err)
  t.equal(failure?.code, 2)
  t.match(failure?.stderr, /Usage: scim-inbound <command>/)
})
