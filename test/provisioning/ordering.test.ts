import t from 'tap'
import { waitForRequest } from '../helpers/service.js'
import { accept, bulk, changes, createJob, del, jobLogRows, logRows, outcomes, post, provisioningFixture, run, startJob, userByEmployeeId, waitFor } from '../helpers/provisioning.js'

// Order: within a request, across the requests of a job, and when the queue lost items.
// The sweeper is effectively off here, so nothing but processPendingRequests can make up
// for a missing queue item.
const fixture = await provisioningFixture(t, { SWEEP_INTERVAL_MS: 3_600_000 })
const { app, db } = fixture

const person = (externalId: string, title: string): Record<string, unknown> =>
  ({ externalId, userName: `${externalId.toLowerCase()}@contoso.com`, displayName: `User ${externalId}`, title })

t.test('the same externalId twice in one request: create, then update', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [post(person('E1', 'v1')), post({ externalId: 'E1', title: 'v2' })])
  t.same(outcomes(status), [['E1', 'create', 'success', null], ['E1', 'update', 'success', null]])
  t.equal(status.operations[0].targetId, status.operations[1].targetId)
  const rows = await logRows(db, status.id)
  t.strictSame(changes(rows[1]), { jobTitle: ['v1', 'v2'] })
  t.equal((await userByEmployeeId(app, job, 'E1')).jobTitle, 'v2')
})

t.test('the same externalId twice in one request: create, then DELETE', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [post(person('E1', 'v1')), del('E1')])
  t.same(outcomes(status), [['E1', 'create', 'success', null], ['E1', 'delete', 'success', null]])
  const user = await userByEmployeeId(app, job, 'E1')
  t.equal(user.id, status.operations[0].targetId)
  t.type(user.deletedDateTime, 'string', 'created, then soft-deleted')
  t.equal(user.jobTitle, 'v1')
})

t.test('the same externalId twice in one request: DELETE, then POST restores', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('E1', 'v1'))])
  const original = await userByEmployeeId(app, job, 'E1')
  const status = await run(app, job, [del('E1'), post(person('E1', 'v2'))])
  t.same(outcomes(status), [['E1', 'delete', 'success', null], ['E1', 'update', 'success', null]])
  const user = await userByEmployeeId(app, job, 'E1')
  t.equal(user.id, original.id, 'restored with the same id')
  t.equal(user.deletedDateTime, null)
  t.equal(user.jobTitle, 'v2')
})

t.test('the same externalId twice in one request: update, then re-send of the new values is skipped', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('E1', 'v1'))])
  const status = await run(app, job, [post(person('E1', 'v2')), post(person('E1', 'v2')), post(person('E1', 'v1'))])
  t.same(outcomes(status), [['E1', 'update', 'success', null], ['E1', 'other', 'skipped', null], ['E1', 'update', 'success', null]])
  const rows = await logRows(db, status.id)
  t.strictSame(changes(rows[2]), { jobTitle: ['v2', 'v1'] }, 'the third operation saw the first one\'s value')
  t.equal((await userByEmployeeId(app, job, 'E1')).jobTitle, 'v1')
})

t.test('requests of a job are applied in acceptance order (20 uploaded to a paused job)', async t => {
  const job = await createJob(app, { start: false })
  const requestIds: string[] = []
  for (let i = 1; i <= 20; i++) {
    requestIds.push(await accept(app, job, bulk([post(i === 1 ? person('E1', 'v1') : { externalId: 'E1', title: `v${i}` })])))
  }
  const waiting = await waitForRequest(app, job, requestIds[0], 300).catch(() => undefined)
  t.equal(waiting, undefined, 'nothing is processed before the job starts')
  const { rows: queued } = await db.query(`SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1 AND state = 'queued'`, [job.jobId])
  t.equal(queued[0].n, 20)

  await startJob(app, job)
  await waitForRequest(app, job, requestIds[19], 30000)
  t.equal((await userByEmployeeId(app, job, 'E1')).jobTitle, 'v20')

  const rows = await jobLogRows(db, job.jobId)
  t.equal(rows.length, 20, 'one log row per operation')
  t.strictSame(rows.map(row => row.request_id), requestIds, 'log rows in activity order follow acceptance order')
  t.strictSame(rows.map(row => row.action), ['create', ...Array(19).fill('update')])
  for (let i = 1; i < 20; i++) {
    t.strictSame(changes(rows[i]), { jobTitle: [`v${i}`, `v${i + 1}`] }, `request ${i + 1} saw request ${i}'s title`)
  }
  // activity_at never goes backwards in acceptance order.
  const bySequence = [...rows].sort((a, b) => Number(a.sequence) - Number(b.sequence))
  for (let i = 1; i < 20; i++) t.ok(bySequence[i].activity_at.getTime() >= bySequence[i - 1].activity_at.getTime())
  // Requests applied in one batch complete together; batches complete in acceptance order.
  const { rows: completed } = await db.query('SELECT id FROM bulk_requests WHERE job_id = $1 ORDER BY completed_at, sequence', [job.jobId])
  t.strictSame(completed.map(row => row.id), requestIds, 'completed in acceptance order')
})

t.test('order holds when the queue lost items: the last request brings the older ones first', async t => {
  const job = await createJob(app, { start: false })
  const requestIds: string[] = []
  for (let i = 1; i <= 5; i++) {
    requestIds.push(await accept(app, job, bulk([post(i === 1 ? person('E1', 'v1') : { externalId: 'E1', title: `v${i}` })])))
  }
  const queue = app.queues.get(job.jobId)
  await queue.obliterate({ force: true })
  t.equal(await queue.getJobState(requestIds[0]), 'unknown', 'the queue forgot the requests')
  t.equal(await queue.getJobState(requestIds[4]), 'unknown')

  await startJob(app, job)
  await app.queues.enqueue({ requestId: requestIds[4], jobId: job.jobId, acceptedAt: Date.now() })
  await waitForRequest(app, job, requestIds[4], 20000)

  const { rows: states } = await db.query('SELECT id, state FROM bulk_requests WHERE job_id = $1 ORDER BY sequence', [job.jobId])
  t.strictSame(states.map(row => row.state), Array(5).fill('completed'), 'all five processed from one queue item')
  t.equal((await userByEmployeeId(app, job, 'E1')).jobTitle, 'v5')
  const rows = await jobLogRows(db, job.jobId)
  t.strictSame(rows.map(row => row.request_id), requestIds, 'in acceptance order')
  for (let i = 1; i < 5; i++) t.strictSame(changes(rows[i]), { jobTitle: [`v${i}`, `v${i + 1}`] })
  const { rows: completed } = await db.query('SELECT id FROM bulk_requests WHERE job_id = $1 ORDER BY completed_at, sequence', [job.jobId])
  t.strictSame(completed.map(row => row.id), requestIds)
})

t.test('a request enqueued again after it completed is not applied twice', async t => {
  const job = await createJob(app)
  const first = await run(app, job, [post(person('E1', 'v1'))])
  const second = await run(app, job, [post({ externalId: 'E1', title: 'v2' })])
  // The first request's queue item comes back (e.g. a sweeper race): nothing changes.
  await app.queues.enqueue({ requestId: first.id, jobId: job.jobId, acceptedAt: Date.now() })
  await waitFor('the re-enqueued item to be consumed', async () => {
    const state = await app.queues.get(job.jobId).getJobState(first.id)
    return state === 'unknown' || state === 'completed' ? state : undefined
  })
  t.equal((await userByEmployeeId(app, job, 'E1')).jobTitle, 'v2')
  t.equal((await logRows(db, first.id)).length, 1)
  t.equal((await logRows(db, second.id)).length, 1)
})
