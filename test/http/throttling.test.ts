import t, { type Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { auth, buildService, bulkRequest, createJob, scimUser, upload, waitForRequest, type ProvisioningJob } from '../helpers/service.js'
import { assertGraphError, bearer, patchSettings, signClaims } from '../helpers/http.js'
import { redisUrl } from '../helpers/environment.js'

// Throttling as a client meets it: a per-client request budget (10 requests per 5-second
// window here, so a burst falls well inside one window) and back-pressure per job, whose
// Retry-After comes from how fast the job processes its backlog.
const limited = await buildService(t, { RATE_LIMIT_PER_SECOND: 2, RATE_LIMIT_BURST: 10 })
const BUDGET = 10

const directory = await limited.app.inject({ method: 'POST', url: '/directories', headers: auth(undefined, 'setup-client'), payload: { displayName: 'Contoso', kind: 'entra', domains: ['contoso.com'] } })
const DIRECTORY_URL = `/directories/${String(directory.json().id)}`

/** A cheap authenticated read, 200 for a client with Directory.Read.All. */
const readDirectory = async (app: FastifyInstance, headers: Record<string, string>, remoteAddress?: string): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'GET', url: DIRECTORY_URL, headers, ...(remoteAddress !== undefined ? { remoteAddress } : {}) })

function assertRetryAfter (t: Test, response: LightMyRequestResponse, low: number, high: number): number {
  const value = Number(response.headers['retry-after'])
  t.ok(Number.isInteger(value) && value >= low && value <= high, `Retry-After ${String(response.headers['retry-after'])} is whole seconds in [${low}, ${high}]`)
  return value
}

t.test('a client over its budget gets 429 with Retry-After and the Graph error shape; another client is unaffected', async t => {
  const statuses = []
  let refused: LightMyRequestResponse | undefined
  for (let i = 0; i < BUDGET + 2; i++) {
    const response = await readDirectory(limited.app, auth(undefined, 'burst-client'))
    statuses.push(response.statusCode)
    if (response.statusCode === 429) refused = response
  }
  t.strictSame(statuses, [...Array(BUDGET).fill(200), 429, 429])
  const error = assertGraphError(t, refused!, 429, 'TooManyRequests')
  assertRetryAfter(t, refused!, 1, 5)
  t.match(error.message, /client 'burst-client'/)
  t.match(error.message, /10 requests per 5 seconds \(2 per second on average\)/)
  t.match(error.message, /Retry after \d+ seconds?/)
  t.match(error.details, [{ code: 'rateLimited', limit: BUDGET }])
  t.equal(refused!.headers['x-ratelimit-limit'], String(BUDGET))
  t.equal(refused!.headers['x-ratelimit-remaining'], '0')

  t.equal((await readDirectory(limited.app, auth(undefined, 'calm-client'))).statusCode, 200, 'another client still has its budget')
})

t.test('the budget is per client id, not per token: tokens of one app share it', async t => {
  const roles = ['Directory.Read.All']
  // Different subjects and roles make different tokens; azp names the same client in all.
  const tokens = [
    signClaims({ azp: 'shared-app', sub: 'user-1', roles }),
    signClaims({ azp: 'shared-app', sub: 'user-2', roles: [...roles, 'User.Read.All'] }),
    signClaims({ appid: 'shared-app', sub: 'user-3', roles })
  ]
  const statuses = []
  for (let i = 0; i < BUDGET + 2; i++) statuses.push((await readDirectory(limited.app, bearer(tokens[i % tokens.length]!))).statusCode)
  t.strictSame(statuses, [...Array(BUDGET).fill(200), 429, 429])
  const refused = await readDirectory(limited.app, bearer(tokens[0]!))
  t.match(assertGraphError(t, refused, 429, 'TooManyRequests').message, /client 'shared-app'/)
  t.equal((await readDirectory(limited.app, bearer(signClaims({ azp: 'other-app', sub: 'user-1', roles })))).statusCode, 200, 'the same user through another app is another client')
})

t.test('without a valid token the budget is the address\'s; health routes are never limited', async t => {
  const address = '203.0.113.7'
  const statuses = []
  for (let i = 0; i < BUDGET + 1; i++) statuses.push((await readDirectory(limited.app, {}, address)).statusCode)
  t.strictSame(statuses, [...Array(BUDGET).fill(401), 429], 'unauthenticated requests are counted per address')
  const refused = await readDirectory(limited.app, bearer('not-a-jwt'), address)
  t.match(assertGraphError(t, refused, 429, 'TooManyRequests').message, /address 203\.0\.113\.7 \(no valid token\)/, 'an invalid token counts against its address')
  t.equal((await readDirectory(limited.app, auth(undefined, 'client-behind-that-address'), address)).statusCode, 200, 'a client with a token from the same address has its own budget')

  for (let i = 0; i < BUDGET * 3; i++) {
    for (const url of ['/health/live', '/health/ready']) {
      const response = await limited.app.inject({ method: 'GET', url, remoteAddress: address })
      if (response.statusCode !== 200) t.fail(`${url} answered ${response.statusCode}: ${response.body}`)
      if (response.headers['x-ratelimit-limit'] !== undefined) t.fail(`${url} carries rate limit headers`)
    }
  }
  t.pass('health routes answered 200 throughout')
})

t.test('uploads are limited per client too, before the body is read, and nothing is stored', async t => {
  const job = await createJob(limited.app, { start: false })
  // createJob spent the default client's budget on its setup calls; use a fresh client.
  const headers = auth(undefined, 'uploading-client')
  const statuses = []
  for (let i = 0; i < BUDGET + 1; i++) statuses.push((await upload(limited.app, job, bulkRequest([scimUser(`U${i}`)]), headers)).statusCode)
  t.strictSame(statuses, [...Array(BUDGET).fill(202), 429])
  const { rows: [row] } = await limited.app.db.query('SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1', [job.jobId])
  t.equal(row.n, BUDGET, 'the refused upload was not stored')
})

t.test('API processes sharing Redis share each client\'s budget', { skip: redisUrl() === undefined ? 'needs REDIS_URL' : false }, async t => {
  // A second app on the same database and key prefix stands for a second API process.
  const second = await buildApp(limited.config, { logger: false })
  t.teardown(() => second.close())
  const headers = auth(undefined, 'two-process-client')
  const statuses = []
  for (let i = 0; i < BUDGET + 2; i++) statuses.push((await readDirectory(i % 2 === 0 ? limited.app : second, headers)).statusCode)
  t.strictSame(statuses, [...Array(BUDGET).fill(200), 429, 429])
})

t.test('an unreachable rate limit store lets requests through instead of failing them', async t => {
  const unreachable = await buildService(t, { RATE_LIMIT_PER_SECOND: 1, RATE_LIMIT_BURST: 2, REDIS_URL: 'redis://127.0.0.1:1' })
  const created = await unreachable.app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Contoso', kind: 'entra', domains: ['contoso.com'] } })
  t.equal(created.statusCode, 201)
  const statuses = []
  for (let i = 0; i < 5; i++) statuses.push((await unreachable.app.inject({ method: 'GET', url: `/directories/${String(created.json().id)}`, headers: auth() })).statusCode)
  t.strictSame(statuses, [200, 200, 200, 200, 200], 'a budget of 2 per 2 seconds, not enforced while its store is down')
})

// ---------------------------------------------------------------- back-pressure

const service = await buildService(t)

async function jobControl (job: ProvisioningJob, action: 'start' | 'pause'): Promise<void> {
  const response = await service.app.inject({ method: 'POST', url: `${job.jobUrl}/${action}`, headers: auth() })
  if (response.statusCode !== 204) throw new Error(`${action}: ${response.statusCode} ${response.body}`)
}

const twoUsers = (prefix: string): Record<string, unknown> => bulkRequest([scimUser(`${prefix}a`), scimUser(`${prefix}b`)])

t.test('maxBacklogOperations: out-of-range values are refused with 400', async t => {
  const job = await createJob(service.app, { start: false })
  for (const bad of [{ maxBacklogOperations: 0 }, { maxBacklogOperations: 'many' }, { maxBacklogOperations: 1.5 }, { maxBacklogOperations: 100000001 }]) {
    assertGraphError(t, await patchSettings(service.app, job, bad), 400, 'BadRequest')
  }
  t.equal((await patchSettings(service.app, job, { maxBacklogOperations: null })).statusCode, 204, 'null: the service-wide bound')
})

t.test('a paused job past its bound gets 429 naming backlog and bound; once it drains, uploads are accepted again', async t => {
  const job = await createJob(service.app, { settings: { maxBacklogOperations: 5 } })
  await jobControl(job, 'pause')
  const accepted = []
  for (let i = 0; i < 3; i++) {
    const response = await upload(service.app, job, twoUsers(`P${i}`))
    t.equal(response.statusCode, 202, `upload ${i} accepted while the backlog is below the bound`)
    accepted.push(response.headers['request-id'] as string)
  }

  const refused = await upload(service.app, job, twoUsers('P9'))
  const error = assertGraphError(t, refused, 429, 'TooManyRequests')
  t.equal(refused.headers['retry-after'], '60', 'a job that is not processing sends clients away for the cap')
  t.match(error.message, /has 6 operations waiting, at or above its bound of 5 \(setting maxBacklogOperations\)/)
  t.match(error.message, /is not processing them \(state Paused\)/)
  t.match(error.message, /Nothing from this request was stored/)
  t.match(error.details, [{ code: 'backlogFull', limit: 5 }])
  const { rows: [row] } = await service.app.db.query('SELECT count(*)::int AS n, sum(operation_count)::int AS operations FROM bulk_requests WHERE job_id = $1', [job.jobId])
  t.strictSame(row, { n: 3, operations: 6 }, 'the refused upload was not stored')

  await jobControl(job, 'start')
  await service.startWorker()
  for (const requestId of accepted) t.equal((await waitForRequest(service.app, job, requestId)).state, 'completed')
  // The reading of the backlog is up to a second old; retry as a client honouring Retry-After would, sooner.
  const deadline = Date.now() + 10_000
  let answer = await upload(service.app, job, twoUsers('P10'))
  while (answer.statusCode === 429 && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 200))
    answer = await upload(service.app, job, twoUsers('P10'))
  }
  t.equal(answer.statusCode, 202, `accepted again once drained (last answer ${answer.statusCode} ${answer.body})`)
})

t.test('Retry-After is the time the job needs, at its recent rate, to drain what it holds above the bound', async t => {
  // Its own database with no worker: the job is active but nothing drains it, and its
  // recent rate is what the provisioning log says: 600 operations over the last minute.
  const quiet = await buildService(t)
  const job = await createJob(quiet.app, { settings: { maxBacklogOperations: 100 } })
  await quiet.app.db.query(
    `INSERT INTO provisioning_logs (id, request_id, operation_index, job_id, cycle_id, change_id, activity_at, action, status)
     SELECT gen_random_uuid(), gen_random_uuid(), 0, $1, gen_random_uuid(), gen_random_uuid(), now() - i * interval '100 milliseconds', 'create', 'success'
     FROM generate_series(0, 599) AS i`, [job.jobId])
  const big = bulkRequest(Array.from({ length: 300 }, (_, i) => scimUser(`R${i}`)))
  t.equal((await upload(quiet.app, job, big)).statusCode, 202)

  const refused = await upload(quiet.app, job, twoUsers('R-next'))
  const error = assertGraphError(t, refused, 429, 'TooManyRequests')
  // 300 waiting, bound 100: 201 operations to drain at about 10 per second ≈ 21 s.
  assertRetryAfter(t, refused, 19, 23)
  t.match(error.message, /has 300 operations waiting, at or above its bound of 100/)
  t.match(error.message, /is processing about 10 operations per second/)
  t.match(error.message, new RegExp(`retry after ${String(refused.headers['retry-after'])} seconds`))
})

t.test('the service-wide bound applies to jobs without their own, and 0 turns back-pressure off', async t => {
  const bounded = await buildService(t, { MAX_BACKLOG_OPERATIONS: 3 })
  const job = await createJob(bounded.app, { start: false })
  t.equal((await upload(bounded.app, job, twoUsers('S1'))).statusCode, 202)
  t.equal((await upload(bounded.app, job, twoUsers('S2'))).statusCode, 202)
  const refused = await upload(bounded.app, job, twoUsers('S3'))
  t.match(assertGraphError(t, refused, 429, 'TooManyRequests').message, /4 operations waiting, at or above its bound of 3.*state NotRun/)
  t.equal((await patchSettings(bounded.app, job, { maxBacklogOperations: 1000 })).statusCode, 204)
  bounded.app.jobLookup.forget(job.servicePrincipalId, job.jobId)
  t.equal((await upload(bounded.app, job, twoUsers('S4'))).statusCode, 202, 'the job\'s own bound overrides the service\'s')

  const unbounded = await buildService(t, { MAX_BACKLOG_OPERATIONS: 0 })
  const free = await createJob(unbounded.app, { start: false })
  for (let i = 0; i < 4; i++) t.equal((await upload(unbounded.app, free, twoUsers(`F${i}`))).statusCode, 202)
})
