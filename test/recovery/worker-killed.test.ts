import t from 'tap'
import pg from 'pg'
import { buildService, bulkRequest, createJob, scimUser, upload, waitForRequest } from '../helpers/service.js'
import { spawnCli, waitFor } from '../helpers/processes.js'

t.test('a worker killed in the middle of a request: the request is processed once by another worker', async t => {
  const service = await buildService(t)
  const job = await createJob(service.app)
  const db = new pg.Client({ connectionString: service.config.DATABASE_URL })
  db.on('error', () => {})
  await db.connect()
  t.teardown(() => db.end())

  // Hold the users table so the worker blocks inside its transaction, after it has read
  // and before it has written: a kill there is a kill mid-request.
  const blocker = new pg.Client({ connectionString: service.config.DATABASE_URL })
  blocker.on('error', () => {})
  await blocker.connect()
  t.teardown(() => blocker.end())
  await blocker.query('BEGIN')
  await blocker.query('LOCK TABLE directory_users IN EXCLUSIVE MODE')

  const doomed = spawnCli(t, 'worker', service.config)
  const first = await upload(service.app, job, bulkRequest(Array.from({ length: 20 }, (_, i) => scimUser(`k${i}`))))
  const second = await upload(service.app, job, bulkRequest([scimUser('k0', { title: 'after the crash' })]))
  const requestId = first.headers['request-id'] as string

  await waitFor('the worker to block mid-request', async () => {
    const { rows } = await db.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'scim-inbound-worker' AND wait_event_type = 'Lock'`)
    return rows.length > 0
  })
  t.equal((await db.query('SELECT state FROM bulk_requests WHERE id = $1', [requestId])).rows[0].state, 'processing')
  doomed.kill('SIGKILL')
  await new Promise(resolve => doomed.once('exit', resolve))
  await blocker.query('COMMIT')

  await service.startWorker()
  const status = await waitForRequest(service.app, job, requestId, 30000)
  t.equal(status.operations.filter((op: any) => op.status === 'success').length, 20)
  await waitForRequest(service.app, job, second.headers['request-id'] as string, 30000)

  const { rows: [logs] } = await db.query('SELECT count(*)::int AS rows FROM provisioning_logs WHERE request_id = $1', [requestId])
  t.equal(logs.rows, 20, 'each operation logged exactly once')
  const { rows: [users] } = await db.query('SELECT count(*)::int AS users FROM directory_users')
  t.equal(users.users, 20)
  const { rows: [k0] } = await db.query(`SELECT job_title FROM directory_users WHERE employee_id = 'k0'`)
  t.equal(k0.job_title, 'after the crash', 'the later request was applied after the interrupted one')
  const { rows: [request] } = await db.query('SELECT attempts FROM bulk_requests WHERE id = $1', [requestId])
  t.ok(request.attempts >= 2, 'the interrupted attempt was counted')
})
