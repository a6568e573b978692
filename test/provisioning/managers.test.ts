import t from 'tap'
import { ENTERPRISE, changes, createJob, del, logRows, outcomes, post, provisioningFixture, run, sleep, stepKinds, userByEmployeeId } from '../helpers/provisioning.js'

// The enterprise manager reference: by externalId, by bulkId, waiting, arriving later, deleted, cycles.
const fixture = await provisioningFixture(t)
const { app, db } = fixture

const person = (externalId: string, manager?: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  externalId,
  userName: `${externalId.toLowerCase()}@contoso.com`,
  displayName: `User ${externalId}`,
  ...(manager !== undefined ? { [ENTERPRISE]: { manager: { value: manager } } } : {}),
  ...extra
})

const referenceSteps = (row: { steps: Array<{ provisioningStepType: string, status: string }> }): string[] =>
  row.steps.filter(step => step.provisioningStepType === 'referenceResolution').map(step => step.status)

t.test('manager.value naming a user provisioned earlier links it', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('M'))])
  const status = await run(app, job, [post(person('R', 'M'))])
  t.same(outcomes(status), [['R', 'create', 'success', null]])
  const manager = await userByEmployeeId(app, job, 'M')
  const report = await userByEmployeeId(app, job, 'R')
  t.strictSame(report.manager, { id: manager.id })
  const [row] = await logRows(db, status.id)
  t.strictSame(changes(row).manager, [null, manager.id])
  t.strictSame(referenceSteps(row), [], 'no warning when the manager is there')
})

t.test('manager.value "bulkId:<id>" links to the operation of the same request, whichever comes first', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [
    post(person('R1', 'bulkId:boss'), 'r1'),
    post(person('M'), 'boss'),
    post(person('R2', 'bulkId:boss'), 'r2')
  ])
  t.same(outcomes(status), [['R1', 'create', 'success', null], ['M', 'create', 'success', null], ['R2', 'create', 'success', null]])
  const manager = await userByEmployeeId(app, job, 'M')
  t.strictSame((await userByEmployeeId(app, job, 'R1')).manager, { id: manager.id }, 'report sent before its manager')
  t.strictSame((await userByEmployeeId(app, job, 'R2')).manager, { id: manager.id }, 'report sent after its manager')
  t.equal(manager.manager, null)
  const rows = await logRows(db, status.id)
  t.equal(rows.length, 3, 'no separate reference-resolution row for links made inside the request')
  t.strictSame(changes(rows[0]).manager, [null, manager.id])
  t.equal(referenceSteps(rows[0]).at(-1), 'success', 'the report before its manager ends with a successful resolution')
  t.strictSame(changes(rows[2]).manager, [null, manager.id])
})

t.test('a manager not provisioned yet: warning now, linked when it arrives in a later request', async t => {
  const job = await createJob(app)
  const first = await run(app, job, [post(person('R', 'M'))])
  t.same(outcomes(first), [['R', 'create', 'success', null]])
  const [warned] = await logRows(db, first.id)
  t.strictSame(referenceSteps(warned), ['warning'])
  t.equal(changes(warned).manager, undefined, 'no manager change reported')
  const waiting = await userByEmployeeId(app, job, 'R')
  t.equal(waiting.manager, null)

  await sleep(5)
  const second = await run(app, job, [post(person('M'))])
  t.same(outcomes(second), [['M', 'create', 'success', null]], 'the status resource lists the request\'s own operations only')
  const manager = await userByEmployeeId(app, job, 'M')
  const report = await userByEmployeeId(app, job, 'R')
  t.strictSame(report.manager, { id: manager.id })
  t.ok(Date.parse(report.lastModifiedDateTime) > Date.parse(waiting.lastModifiedDateTime), 'linking modifies the report')

  const rows = await logRows(db, second.id)
  t.equal(rows.length, 2)
  const linked = rows[1]
  t.equal(linked.operation_index, -1)
  t.equal(linked.action, 'update')
  t.equal(linked.status, 'success')
  t.equal(linked.source_id, 'R')
  t.equal(linked.target_id, report.id)
  t.equal(linked.cycle_id, rows[0].cycle_id)
  t.strictSame(linked.modified_properties, [{ displayName: 'manager', oldValue: null, newValue: manager.id }])
  t.strictSame(stepKinds(linked), [['referenceResolution', 'success']])
})

t.test('a report re-sent unchanged while waiting is skipped, and still linked when the manager arrives', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('R', 'M'))])
  const again = await run(app, job, [post(person('R', 'M'))])
  t.same(outcomes(again), [['R', 'other', 'skipped', null]])
  const arrival = await run(app, job, [post(person('M')), post(person('R', 'M'))])
  t.same(outcomes(arrival), [['M', 'create', 'success', null], ['R', 'other', 'skipped', null]])
  t.strictSame((await userByEmployeeId(app, job, 'R')).manager, { id: (await userByEmployeeId(app, job, 'M')).id })
  const rows = await logRows(db, arrival.id)
  t.strictSame(rows.map(row => [row.operation_index, row.source_id, row.action, row.status]), [[0, 'M', 'create', 'success'], [1, 'R', 'other', 'skipped'], [-1, 'R', 'update', 'success']])
})

t.test('deleting a manager clears the link of its reports; restoring it links them again', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('M')), post(person('R1', 'M')), post(person('R2', 'M', { title: 'Clerk' }))])
  const manager = await userByEmployeeId(app, job, 'M')
  const before = await userByEmployeeId(app, job, 'R2')
  t.strictSame(before.manager, { id: manager.id })

  const deletion = await run(app, job, [del('M')])
  t.same(outcomes(deletion), [['M', 'delete', 'success', null]])
  t.equal((await userByEmployeeId(app, job, 'R1')).manager, null)
  const after = await userByEmployeeId(app, job, 'R2')
  t.equal(after.manager, null)
  t.equal(after.jobTitle, 'Clerk', 'nothing else of the report changes')
  t.equal(after.deletedDateTime, null)

  const restore = await run(app, job, [post(person('M'))])
  t.same(outcomes(restore), [['M', 'update', 'success', null]])
  t.strictSame((await userByEmployeeId(app, job, 'R1')).manager, { id: manager.id })
  t.strictSame((await userByEmployeeId(app, job, 'R2')).manager, { id: manager.id })
  const rows = await logRows(db, restore.id)
  t.strictSame(rows.filter(row => row.operation_index === -1).map(row => row.source_id).sort(), ['R1', 'R2'])
})

t.test('a manager created and deleted in the same request leaves its waiting report unlinked', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('R', 'M'))])
  const status = await run(app, job, [post(person('M')), del('M')])
  t.same(outcomes(status), [['M', 'create', 'success', null], ['M', 'delete', 'success', null]])
  t.type((await userByEmployeeId(app, job, 'M')).deletedDateTime, 'string')
  t.equal((await userByEmployeeId(app, job, 'R')).manager, null, 'no link to a deleted manager')
  const rows = await logRows(db, status.id)
  t.strictSame(rows.map(row => row.operation_index), [0, 1], 'no reference-resolution row')
})

t.test('changing the manager reports old → new', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('M1')), post(person('M2')), post(person('R', 'M1'))])
  const m1 = await userByEmployeeId(app, job, 'M1')
  const m2 = await userByEmployeeId(app, job, 'M2')
  const status = await run(app, job, [post(person('R', 'M2'))])
  t.same(outcomes(status), [['R', 'update', 'success', null]])
  t.strictSame(changes((await logRows(db, status.id))[0]), { manager: [m1.id, m2.id] })
  t.strictSame((await userByEmployeeId(app, job, 'R')).manager, { id: m2.id })
})

t.test('a manager cycle A ↔ B in one request resolves both', async t => {
  const job = await createJob(app)
  const byBulkId = await run(app, job, [post(person('A', 'bulkId:b'), 'a'), post(person('B', 'bulkId:a'), 'b')])
  t.same(outcomes(byBulkId), [['A', 'create', 'success', null], ['B', 'create', 'success', null]])
  const a = await userByEmployeeId(app, job, 'A')
  const b = await userByEmployeeId(app, job, 'B')
  t.strictSame(a.manager, { id: b.id })
  t.strictSame(b.manager, { id: a.id })

  const byExternalId = await run(app, job, [post(person('C', 'D')), post(person('D', 'C'))])
  t.same(outcomes(byExternalId), [['C', 'create', 'success', null], ['D', 'create', 'success', null]])
  const c = await userByEmployeeId(app, job, 'C')
  const d = await userByEmployeeId(app, job, 'D')
  t.strictSame(c.manager, { id: d.id })
  t.strictSame(d.manager, { id: c.id })
})

t.test('a manager deleted and restored in one request keeps the link of a report updated in that request', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('M')), post(person('R', 'M', { title: 'Clerk' }))])
  const manager = await userByEmployeeId(app, job, 'M')
  const status = await run(app, job, [del('M'), post(person('M')), post(person('R', 'M', { title: 'Supervisor' }))])
  t.same(outcomes(status), [['M', 'delete', 'success', null], ['M', 'update', 'success', null], ['R', 'update', 'success', null]])
  const report = await userByEmployeeId(app, job, 'R')
  t.equal(report.jobTitle, 'Supervisor')
  t.equal((await userByEmployeeId(app, job, 'M')).deletedDateTime, null)
  t.strictSame(report.manager, { id: manager.id }, 'the report ends linked to its live manager')
})

t.test('a report restored after its manager arrived is linked, even without re-sending the manager', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('R', 'M', { title: 'Clerk' }))])
  await run(app, job, [del('R')])
  await run(app, job, [post(person('M'))])
  // Absent attributes are kept on restore, the manager reference included.
  const status = await run(app, job, [post({ externalId: 'R', title: 'Back' })])
  t.same(outcomes(status), [['R', 'update', 'success', null]])
  const manager = await userByEmployeeId(app, job, 'M')
  t.strictSame((await userByEmployeeId(app, job, 'R')).manager, { id: manager.id })
})
