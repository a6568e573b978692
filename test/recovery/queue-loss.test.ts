import t from 'tap'
import pg from 'pg'
import { Redis } from 'ioredis'
import { buildService, bulkRequest, createJob, scimUser, upload, waitForRequest, auth } from '../helpers/service.js'

/**
 * Redis here keeps nothing on disk: a restart loses every queued item, the queue's paused
 * flag and its global concurrency. Nothing accepted may be lost: the requests are in
 * PostgreSQL and the sweeper puts them back.
 */
t.test('requests waiting when the queue store loses its data are all processed, each operation logged once', async t => {
  const service = await buildService(t)
  const job = await createJob(service.app, { start: false })
  const requestIds: string[] = []
  for (let r = 0; r < 6; r++) {
    const users = Array.from({ length: 5 }, (_, i) => scimUser(`${r}-${i}`, { title: `round ${r}` }))
    const response = await upload(service.app, job, bulkRequest(users))
    t.equal(response.statusCode, 202)
    requestIds.push(response.headers['request-id'] as string)
  }
  // The same user changed by every request: the final value proves the order held.
  for (let r = 0; r < 4; r++) {
    const response = await upload(service.app, job, bulkRequest([scimUser('tracked', { title: `v${r}` })]))
    requestIds.push(response.headers['request-id'] as string)
  }

  await loseQueuedItems(service.config, job.jobId, service.app)

  await service.startWorker()
  const started = await service.app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })
  t.equal(started.statusCode, 204)
  for (const id of requestIds) t.equal((await waitForRequest(service.app, job, id)).state, 'completed')

  const db = new pg.Client({ connectionString: service.config.DATABASE_URL })
  await db.connect()
  t.teardown(() => db.end())
  const { rows: [logs] } = await db.query('SELECT count(*)::int AS rows, count(DISTINCT (request_id, operation_index))::int AS operations FROM provisioning_logs')
  t.same(logs, { rows: 34, operations: 34 }, 'every accepted operation logged exactly once')
  const { rows: users } = await db.query('SELECT employee_id, job_title FROM directory_users ORDER BY employee_id')
  t.equal(users.length, 31)
  t.equal(users.find(user => user.employee_id === 'tracked')?.job_title, 'v3', 'the last accepted change wins')
})

t.test('a request committed but never enqueued (crash between commit and enqueue) is enqueued by the sweeper', async t => {
  const service = await buildService(t)
  await service.startWorker()
  const job = await createJob(service.app)
  const db = new pg.Client({ connectionString: service.config.DATABASE_URL })
  await db.connect()
  t.teardown(() => db.end())
  const id = '00000000-0000-4000-8000-000000000001'
  await db.query('INSERT INTO bulk_requests (id, job_id, payload, operation_count, client_id) VALUES ($1, $2, $3, 1, $4)',
    [id, job.jobId, JSON.stringify(bulkRequest([scimUser('orphan')])), 'test'])
  const status = await waitForRequest(service.app, job, id)
  t.equal(status.operations[0].status, 'success')
})

async function loseQueuedItems (config: { REDIS_URL?: string, QUEUE_PREFIX: string }, jobId: string, app: { queues: { get: (id: string) => { obliterate: (opts: { force: boolean }) => Promise<void> } } }): Promise<void> {
  if (config.REDIS_URL === undefined) {
    // BullMQ's PostgreSQL backend: wipe the job's queue the same way.
    await app.queues.get(jobId).obliterate({ force: true })
    return
  }
  // Only this test's keys: other test files share the Redis server.
  const redis = new Redis(config.REDIS_URL)
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.QUEUE_PREFIX}:*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
  await redis.quit()
}
