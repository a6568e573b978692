import t from 'tap'
import { ENTERPRISE, changes, createJob, del, getUser, listUsers, logRows, outcomes, post, provisioningFixture, run, sleep, userByEmployeeId } from '../helpers/provisioning.js'

// Create, update-what-changed, skip, disable, soft delete and restore.
const fixture = await provisioningFixture(t)
const { app, db } = fixture

const full = (title = 'Tour Guide', extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  externalId: 'E1',
  userName: 'bjensen@contoso.com',
  displayName: 'Babs Jensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  active: true,
  title,
  emails: [{ type: 'work', value: 'bjensen@contoso.com' }],
  phoneNumbers: [{ type: 'work', value: '+1 555 0101' }],
  [ENTERPRISE]: { department: 'Tour Operations', organization: 'Universal Studios' },
  ...extra
})

t.test('an update writes only what changed and reports exactly those attributes, old → new', async t => {
  const job = await createJob(app)
  const created = await run(app, job, [post(full())])
  t.same(outcomes(created), [['E1', 'create', 'success', null]])
  const before = await userByEmployeeId(app, job, 'E1')
  await sleep(10)

  const updated = await run(app, job, [post(full('Head Guide', { [ENTERPRISE]: { department: 'Guides', organization: 'Universal Studios' } }))])
  t.same(outcomes(updated), [['E1', 'update', 'success', null]])
  t.equal(updated.operations[0].targetId, before.id)
  const [row] = await logRows(db, updated.id)
  t.strictSame(changes(row), { jobTitle: ['Tour Guide', 'Head Guide'], department: ['Tour Operations', 'Guides'] })

  const after = await userByEmployeeId(app, job, 'E1')
  t.equal(after.id, before.id, 'same object')
  t.equal(after.jobTitle, 'Head Guide')
  t.equal(after.department, 'Guides')
  t.not(after.lastModifiedDateTime, before.lastModifiedDateTime, 'lastModifiedDateTime moves')
  t.ok(Date.parse(after.lastModifiedDateTime) > Date.parse(before.lastModifiedDateTime))
  t.equal(after.createdDateTime, before.createdDateTime, 'createdDateTime stays')
  const { jobTitle: _a, department: _b, lastModifiedDateTime: _c, ...unchangedAfter } = after
  const { jobTitle: _d, department: _e, lastModifiedDateTime: _f, ...unchangedBefore } = before
  t.strictSame(unchangedAfter, unchangedBefore, 'every other attribute keeps its value')
})

t.test('an attribute absent from the update is not cleared', async t => {
  const job = await createJob(app)
  await run(app, job, [post({ externalId: 'M1', userName: 'boss@contoso.com', displayName: 'Boss' })])
  await run(app, job, [post(full('Tour Guide', { [ENTERPRISE]: { department: 'Tour Operations', organization: 'Universal Studios', manager: { value: 'M1' } } }))])
  const before = await userByEmployeeId(app, job, 'E1')
  t.not(before.manager, null)

  const status = await run(app, job, [post({ externalId: 'E1', title: 'Night Guide' })])
  t.same(outcomes(status), [['E1', 'update', 'success', null]])
  const [row] = await logRows(db, status.id)
  t.strictSame(changes(row), { jobTitle: ['Tour Guide', 'Night Guide'] })
  const after = await userByEmployeeId(app, job, 'E1')
  const { jobTitle: _a, lastModifiedDateTime: _b, ...restAfter } = after
  const { jobTitle: _c, lastModifiedDateTime: _d, ...restBefore } = before
  t.strictSame(restAfter, restBefore, 'userName, name, emails, phones, enterprise attributes and manager all kept')
})

t.test('a new userName updates userPrincipalName and mailNickname together', async t => {
  const job = await createJob(app)
  await run(app, job, [post(full())])
  const status = await run(app, job, [post(full('Tour Guide', { userName: 'babs@contoso.com' }))])
  t.same(outcomes(status), [['E1', 'update', 'success', null]])
  const [row] = await logRows(db, status.id)
  t.strictSame(changes(row), { userPrincipalName: ['bjensen@contoso.com', 'babs@contoso.com'], mailNickname: ['bjensen', 'babs'] })
  const user = await userByEmployeeId(app, job, 'E1')
  t.equal(user.userPrincipalName, 'babs@contoso.com')
  t.equal(user.mailNickname, 'babs')
})

t.test('re-sending the same user is skipped and rewrites nothing', async t => {
  const job = await createJob(app)
  await run(app, job, [post(full())])
  const before = await userByEmployeeId(app, job, 'E1')
  await sleep(10)
  const status = await run(app, job, [post(full())])
  t.same(outcomes(status), [['E1', 'other', 'skipped', null]])
  t.equal(status.operations[0].targetId, before.id)
  const [row] = await logRows(db, status.id)
  t.strictSame(row.modified_properties, [])
  t.strictSame(await userByEmployeeId(app, job, 'E1'), before, 'lastModifiedDateTime and everything else unchanged')

  // The same values spelled with other attribute-name case are the same user.
  const again = await run(app, job, [post({ EXTERNALID: 'E1', UserName: 'bjensen@contoso.com', TITLE: 'Tour Guide', displayname: 'Babs Jensen' })])
  t.same(outcomes(again), [['E1', 'other', 'skipped', null]])
  t.strictSame(await userByEmployeeId(app, job, 'E1'), before)
})

t.test('active:false disables, active:true enables again', async t => {
  const job = await createJob(app)
  await run(app, job, [post(full())])
  const disabled = await run(app, job, [post(full('Tour Guide', { active: false }))])
  t.same(outcomes(disabled), [['E1', 'disable', 'success', null]])
  t.strictSame(changes((await logRows(db, disabled.id))[0]), { accountEnabled: ['true', 'false'] })
  t.equal((await userByEmployeeId(app, job, 'E1')).accountEnabled, false)

  const again = await run(app, job, [post(full('Tour Guide', { active: false }))])
  t.same(outcomes(again), [['E1', 'other', 'skipped', null]], 'disabling a disabled user changes nothing')

  const enabled = await run(app, job, [post(full())])
  t.same(outcomes(enabled), [['E1', 'update', 'success', null]])
  t.strictSame(changes((await logRows(db, enabled.id))[0]), { accountEnabled: ['false', 'true'] })
  t.equal((await userByEmployeeId(app, job, 'E1')).accountEnabled, true)
})

t.test('DELETE soft-deletes: deletedDateTime set, the user still readable', async t => {
  const job = await createJob(app)
  await run(app, job, [post(full())])
  const before = await userByEmployeeId(app, job, 'E1')
  await sleep(5)
  const status = await run(app, job, [del('E1')])
  t.same(outcomes(status), [['E1', 'delete', 'success', null]])
  t.equal(status.operations[0].targetId, before.id)
  const deleted = await getUser(app, job, before.id)
  t.type(deleted.deletedDateTime, 'string')
  t.ok(Date.parse(deleted.deletedDateTime) >= Date.parse(before.lastModifiedDateTime))
  const [row] = await logRows(db, status.id)
  t.strictSame(changes(row), { deletedDateTime: [null, deleted.deletedDateTime] })
  const { deletedDateTime: _a, lastModifiedDateTime: _b, ...restAfter } = deleted
  const { deletedDateTime: _c, lastModifiedDateTime: _d, ...restBefore } = before
  t.strictSame(restAfter, restBefore, 'attributes are kept on the soft-deleted user')
  t.strictSame((await listUsers(app, job)).map(user => [user.employeeId, user.deletedDateTime]), [['E1', deleted.deletedDateTime]], 'listed with deletedDateTime')

  const twice = await run(app, job, [del('E1')])
  t.same(outcomes(twice), [['E1', 'delete', 'skipped', null]], 'deleting a deleted user is skipped')
  t.equal((await getUser(app, job, before.id)).deletedDateTime, deleted.deletedDateTime, 'and does not move deletedDateTime')
})

t.test('DELETE of an unknown externalId is skipped and writes nothing', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [del('NOPE')])
  t.same(outcomes(status), [['NOPE', 'delete', 'skipped', null]])
  t.equal(status.operations[0].targetId, null)
  t.strictSame(await listUsers(app, job), [])
})

t.test('a POST for a soft-deleted user restores it with the same id', async t => {
  const job = await createJob(app)
  await run(app, job, [post(full())])
  const original = await userByEmployeeId(app, job, 'E1')
  await run(app, job, [del('E1')])
  const status = await run(app, job, [post(full('Returning Guide'))])
  t.same(outcomes(status), [['E1', 'update', 'success', null]])
  t.equal(status.operations[0].targetId, original.id)
  const restored = await userByEmployeeId(app, job, 'E1')
  t.equal(restored.id, original.id, 'same object id')
  t.equal(restored.deletedDateTime, null)
  t.equal(restored.jobTitle, 'Returning Guide')
  t.equal(restored.createdDateTime, original.createdDateTime)
  t.equal((await listUsers(app, job)).length, 1, 'no second user')
  const [row] = await logRows(db, status.id)
  const modified = changes(row)
  t.strictSame(Object.keys(modified).sort(), ['deletedDateTime', 'jobTitle'])
  t.strictSame(modified.jobTitle, ['Tour Guide', 'Returning Guide'])
  t.equal(modified.deletedDateTime[1], null)
})
