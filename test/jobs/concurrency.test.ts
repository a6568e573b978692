import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { startWorker } from '../../src/worker.js'
import { auth, waitForRequest } from '../helpers/service.js'
import { accept, bulk, createJob, post, provisioningFixture, sleep, waitFor, type ProvisioningJob } from '../helpers/provisioning.js'

// Operators' controls racing with workers: nothing half-applied, nothing lost, and every
// process — two APIs, two workers — sees the same job state.
const fixture = await provisioningFixture(t, {}, { worker: false })
const { app, db, config } = fixture
// Two workers on the same database and queues, as two worker processes would be.
for (let i = 0; i < 2; i++) {
  const worker = await startWorker(config)
  t.teardown(() => worker.close())
}

const person = (externalId: string): Record<string, unknown> => ({ externalId, userName: `${externalId.toLowerCase()}@contoso.com`, displayName: `User ${externalId}` })

async function acceptMany (job: ProvisioningJob, prefix: string, requests: number, perRequest: number): Promise<string[]> {
  const ids: string[] = []
  for (let r = 0; r < requests; r++) {
    ids.push(await accept(app, job, bulk(Array.from({ length: perRequest }, (_, i) => post(person(`${prefix}-${r}-${i}`))))))
  }
  return ids
}

async function settled (job: ProvisioningJob): Promise<void> {
  await waitFor('no request in flight', async () => {
    const { rows: [row] } = await db.query(`SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1 AND state = 'processing'`, [job.jobId])
    return row.n === 0 ? true : undefined
  }, 30_000)
}

/** Every request whole: completed with one entry per operation (and its users), or waiting or purged with none. */
async function assertWhole (t: Test, job: ProvisioningJob, requestIds: string[]): Promise<Record<string, number>> {
  const states: Record<string, number> = {}
  for (const requestId of requestIds) {
    const { rows: [request] } = await db.query('SELECT state, operation_count FROM bulk_requests WHERE id = $1', [requestId])
    const { rows: [logs] } = await db.query('SELECT count(*)::int AS n FROM provisioning_logs WHERE request_id = $1 AND target_user_id IS NULL', [requestId])
    states[request.state] = (states[request.state] ?? 0) + 1
    t.equal(logs.n, request.state === 'completed' ? request.operation_count : 0, `${request.state} request logged ${request.state === 'completed' ? 'once per operation' : 'not at all'}`)
  }
  const { rows: [created] } = await db.query(
    `SELECT count(*)::int AS n FROM provisioning_logs WHERE job_id = $1 AND action = 'create' AND status = 'success' AND target_user_id IS NULL`, [job.jobId])
  const { rows: [users] } = await db.query('SELECT count(*)::int AS n FROM directory_users WHERE directory_id = $1', [job.directoryId])
  t.equal(users.n, created.n, 'the directory holds exactly the users the log says were created')
  return states
}

t.test('a restart while a worker is mid-batch: each request is either applied whole or purged', async t => {
  const job = await createJob(app, { start: false })
  const requestIds = await acceptMany(job, 'R', 40, 25)
  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  await waitFor('processing under way', async () => {
    const { rows: [row] } = await db.query(`SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1 AND state <> 'queued'`, [job.jobId])
    return row.n > 0 ? true : undefined
  })
  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/restart`, headers: auth(), payload: { criteria: { resetScope: 'Full' } } })).statusCode, 204)
  await settled(job)
  const states = await assertWhole(t, job, requestIds)
  t.equal((states.completed ?? 0) + (states.purged ?? 0), 40, `all completed or purged (${JSON.stringify(states)})`)
  t.ok((states.purged ?? 0) > 0, 'the restart purged what still waited')
  const statistics = (await app.inject({ method: 'GET', url: `${job.jobUrl}/statistics`, headers: auth() })).json()
  t.equal(statistics.requests.accepted, statistics.requests.completed + statistics.requests.purged + statistics.requests.waiting)
})

t.test('a pause while a worker is mid-batch: the batch finishes, nothing is processed after', async t => {
  const job = await createJob(app, { start: false })
  const requestIds = await acceptMany(job, 'P', 40, 25)
  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  await waitFor('processing under way', async () => {
    const { rows: [row] } = await db.query(`SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1 AND state <> 'queued'`, [job.jobId])
    return row.n > 0 ? true : undefined
  })
  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/pause`, headers: auth() })).statusCode, 204)
  await settled(job)
  const { rows: [atPause] } = await db.query(`SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1 AND state = 'completed'`, [job.jobId])
  await sleep(1500)
  const { rows: [later] } = await db.query(`SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1 AND state = 'completed'`, [job.jobId])
  t.equal(later.n, atPause.n, 'nothing completed after the pause took effect')
  t.ok(atPause.n < 40, 'the pause stopped the job before its end')
  const states = await assertWhole(t, job, requestIds)
  t.equal((states.completed ?? 0) + (states.queued ?? 0), 40, `completed or waiting, none stuck (${JSON.stringify(states)})`)

  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  await waitForRequest(app, job, requestIds.at(-1)!, 30_000)
  await settled(job)
  const resumed = await assertWhole(t, job, requestIds)
  t.equal(resumed.completed, 40, 'started again, everything is applied')
})

t.test('two API processes and two workers see the same job state', async t => {
  const second = await buildApp(config, { logger: false })
  await second.ready()
  t.teardown(() => second.close())
  const job = await createJob(app, { start: false })
  const state = async (api: typeof app): Promise<string> => (await api.inject({ method: 'GET', url: job.jobUrl, headers: auth() })).json().status.code

  t.equal((await second.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  t.strictSame([await state(app), await state(second)], ['Active', 'Active'])
  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/pause`, headers: auth() })).statusCode, 204)
  t.strictSame([await state(app), await state(second)], ['Paused', 'Paused'])

  const uploaded = await second.inject({ method: 'POST', url: job.uploadUrl, headers: { ...auth(), 'content-type': 'application/scim+json' }, payload: JSON.stringify(bulk([post(person('TWO-1'))])) })
  t.equal(uploaded.statusCode, 202)
  const requestId = String(uploaded.headers['request-id'])
  await sleep(500)
  const { rows: [waiting] } = await db.query('SELECT state FROM bulk_requests WHERE id = $1', [requestId])
  t.equal(waiting.state, 'queued', 'neither worker processes a paused job')

  t.equal((await second.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  const status = await waitForRequest(app, job, requestId)
  t.equal(status.state, 'completed', 'started through the other API, a worker processes it')
})
