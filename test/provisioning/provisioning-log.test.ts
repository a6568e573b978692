import t from 'tap'
import { processBatch } from '../../src/provisioning/process-batch.js'
import { processPendingRequests } from '../../src/provisioning/process-pending.js'
import { waitForRequest } from '../helpers/service.js'
import { accept, bulk, changes, createJob, del, listUsers, logRows, post, provisioningFixture, run, startJob, stepKinds, userByEmployeeId } from '../helpers/provisioning.js'

// One provisioning log row per operation, its fields, idempotent re-processing, cycles.
const fixture = await provisioningFixture(t)
const { app, db } = fixture

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const person = (externalId: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ externalId, userName: `${externalId.toLowerCase()}@contoso.com`, displayName: `User ${externalId}`, ...extra })

async function requestRow (requestId: string): Promise<any> {
  const { rows: [row] } = await db.query('SELECT * FROM bulk_requests WHERE id = $1', [requestId])
  return row
}

async function countRows (requestId: string): Promise<number> {
  const { rows: [row] } = await db.query('SELECT count(*)::int AS n FROM provisioning_logs WHERE request_id = $1', [requestId])
  return row.n
}

t.test('one row per operation, with the fields of a Graph provisioning log entry', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('E1', { title: 'Clerk' })), post(person('E2'))])
  const e1 = await userByEmployeeId(app, job, 'E1')
  const e2 = await userByEmployeeId(app, job, 'E2')
  const status = await run(app, job, [
    post(person('E3', { title: 'New' }), 'create'),
    post(person('E1', { title: 'Supervisor' }), 'update'),
    post(person('E2'), 'same'),
    post(person('E4', { userName: 'e4@example.com' }), 'bad'),
    del('E2', 'delete')
  ])
  const e3 = await userByEmployeeId(app, job, 'E3')
  t.equal(await countRows(status.id), 5, 'row count = operation count')
  const request = await requestRow(status.id)
  t.equal(request.operation_count, 5)
  const rows = await logRows(db, status.id)

  t.strictSame(rows.map(row => [row.operation_index, row.bulk_id, row.method, row.source_id, row.action, row.status, row.error_code, row.target_id]), [
    [0, 'create', 'POST', 'E3', 'create', 'success', null, e3.id],
    [1, 'update', 'POST', 'E1', 'update', 'success', null, e1.id],
    [2, 'same', 'POST', 'E2', 'other', 'skipped', null, e2.id],
    [3, 'bad', 'POST', 'E4', 'create', 'failure', 'InvalidDomain', null],
    [4, 'delete', 'DELETE', 'E2', 'delete', 'success', null, e2.id]
  ])
  for (const row of rows) {
    t.match(row.id, UUID)
    t.match(row.change_id, UUID)
    t.equal(row.job_id, job.jobId)
    t.equal(row.cycle_id, request.cycle_id, 'the request\'s cycle')
    t.type(row.activity_at, Date)
    t.ok(row.activity_at.getTime() >= request.received_at.getTime() && row.activity_at.getTime() <= request.completed_at.getTime())
    t.equal(row.target_user_id, null)
  }
  t.equal(new Set(rows.map(row => row.change_id)).size, 5, 'a change id per entry')
  t.equal(new Set(rows.map(row => row.id)).size, 5)
  t.strictSame(rows.map(row => row.source_display_name), ['User E3', 'User E1', 'User E2', 'User E4', null])
  t.strictSame(rows.map(row => row.target_display_name), ['User E3', 'User E1', 'User E2', null, 'User E2'])
  t.equal(rows[0].reason, null)
  t.equal(rows[1].reason, null)
  t.type(rows[2].reason, 'string', 'a skip says why')
  t.match(rows[3].reason, /example\.com/)

  t.strictSame(changes(rows[1]), { jobTitle: ['Clerk', 'Supervisor'] })
  t.strictSame(rows[2].modified_properties, [])
  t.strictSame(rows[3].modified_properties, [])
  t.strictSame(Object.keys(changes(rows[4])), ['deletedDateTime'])
  t.strictSame(changes(rows[0]), {
    employeeId: [null, 'E3'],
    userPrincipalName: [null, 'e3@contoso.com'],
    mailNickname: [null, 'e3'],
    displayName: [null, 'User E3'],
    accountEnabled: [null, 'true'],
    jobTitle: [null, 'New']
  })

  t.strictSame(stepKinds(rows[0]), [['import', 'success'], ['matching', 'skipped'], ['export', 'success']])
  t.strictSame(stepKinds(rows[1]), [['import', 'success'], ['matching', 'success'], ['export', 'success']])
  t.strictSame(stepKinds(rows[2]), [['import', 'success'], ['matching', 'success'], ['export', 'skipped']])
  t.strictSame(stepKinds(rows[3]), [['import', 'success'], ['matching', 'skipped'], ['export', 'failure']])
  t.strictSame(stepKinds(rows[4]), [['import', 'success'], ['matching', 'success'], ['export', 'success']])
  for (const row of rows) for (const step of row.steps) t.ok(typeof step.name === 'string' && step.name !== '' && typeof step.description === 'string' && step.description !== '')

  // The status resource points at the same entries.
  t.strictSame(status.operations.map((op: any) => op.logId), rows.map(row => row.id))
})

t.test('a skipped DELETE (unknown externalId) is logged with import, matching and export steps', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [del('NOBODY')])
  const [row] = await logRows(db, status.id)
  t.equal(row.status, 'skipped')
  t.equal(row.target_id, null)
  t.strictSame(stepKinds(row).map(([type]) => type), ['import', 'matching', 'export'])
})

t.test('re-processing a completed request is skipped and writes nothing more', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [post(person('E1')), post(person('E2')), del('E9')])
  const rowsBefore = await logRows(db, status.id)
  const usersBefore = await listUsers(app, job)
  const requestBefore = await requestRow(status.id)

  const again = await processBatch(db, [status.id])
  t.equal(again.state, 'skipped')
  t.strictSame(await processPendingRequests(db, job.jobId, status.id), { processed: 0, jobInactive: false })

  t.equal(await countRows(status.id), 3, 'still one row per operation')
  t.strictSame(await logRows(db, status.id), rowsBefore, 'the rows are the same rows')
  t.strictSame(await listUsers(app, job), usersBefore, 'the directory is untouched')
  const requestAfter = await requestRow(status.id)
  t.equal(requestAfter.state, 'completed')
  t.equal(requestAfter.attempts, requestBefore.attempts, 'not counted as an attempt')
  t.strictSame(requestAfter.completed_at, requestBefore.completed_at)
})

t.test('reference-resolution rows are extra rows of the manager\'s request, one per linked report', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('R1', { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: 'M' } } })),
    post(person('R2', { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: 'M' } } }))])
  const status = await run(app, job, [post(person('M'))])
  const manager = await userByEmployeeId(app, job, 'M')
  const rows = await logRows(db, status.id)
  t.equal(rows.filter(row => row.operation_index >= 0).length, 1, 'one row for the one operation')
  const linked = rows.filter(row => row.operation_index === -1)
  t.strictSame(linked.map(row => row.source_id).sort(), ['R1', 'R2'])
  for (const row of linked) {
    t.equal(row.target_user_id, row.target_id, 'keyed by the report')
    t.strictSame(row.modified_properties, [{ displayName: 'manager', oldValue: null, newValue: manager.id }])
  }
  t.equal((await processBatch(db, [status.id])).state, 'skipped')
  t.equal(await countRows(status.id), 3)
})

t.test('requests processed back-to-back share a cycle; after the queue ran dry a new cycle begins', async t => {
  const job = await createJob(app, { start: false })
  const ids: string[] = []
  for (let i = 1; i <= 3; i++) ids.push(await accept(app, job, bulk([post(person(`E${i}`))])))
  await startJob(app, job)
  await waitForRequest(app, job, ids[2])
  const burst = await Promise.all(ids.map(requestRow))
  const cycle = burst[0].cycle_id
  t.match(cycle, UUID)
  t.strictSame(burst.map(row => row.cycle_id), [cycle, cycle, cycle], 'one cycle for the burst')
  const { rows: burstLogs } = await db.query('SELECT DISTINCT cycle_id FROM provisioning_logs WHERE request_id = ANY($1::uuid[])', [ids])
  t.strictSame(burstLogs.map(row => row.cycle_id), [cycle])

  const later = await run(app, job, [post(person('E4'))])
  const laterCycle = (await requestRow(later.id)).cycle_id
  t.match(laterCycle, UUID)
  t.not(laterCycle, cycle, 'a new cycle after the queue ran dry')
  t.strictSame((await logRows(db, later.id)).map(row => row.cycle_id), [laterCycle])

  const last = await run(app, job, [post(person('E5'))])
  const lastCycle = (await requestRow(last.id)).cycle_id
  t.not(lastCycle, laterCycle)
  t.not(lastCycle, cycle)
})
