import t from 'tap'
import { createJob, del, listUsers, logRows, outcomes, post, provisioningFixture, run, stepKinds, userByEmployeeId } from '../helpers/provisioning.js'

// The directory's rules: verified-domain UPNs, allowed characters, uniqueness, mandatory values.
const fixture = await provisioningFixture(t)
const { app, db } = fixture

const user = (externalId: string, userName: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ externalId, userName, displayName: `User ${externalId}`, ...extra })

t.test('a userPrincipalName without a verified domain fails with InvalidDomain', async t => {
  const job = await createJob(app, { domains: ['contoso.com', 'fabrikam.com'] })
  const status = await run(app, job, [
    post(user('E1', 'nodomain')),
    post(user('E2', 'someone@example.com')),
    post(user('E3', 'someone@sub.contoso.com')),
    post(user('E4', 'someone@contoso.com.evil')),
    post(user('E5', 'someone@')),
    post(user('E6', 'upper@CONTOSO.COM')),
    post(user('E7', 'second@fabrikam.com'))
  ])
  t.same(outcomes(status), [
    ['E1', 'create', 'failure', 'InvalidDomain'],
    ['E2', 'create', 'failure', 'InvalidDomain'],
    ['E3', 'create', 'failure', 'InvalidDomain'],
    ['E4', 'create', 'failure', 'InvalidDomain'],
    ['E5', 'create', 'failure', 'InvalidDomain'],
    ['E6', 'create', 'success', null],
    ['E7', 'create', 'success', null]
  ])
  t.match(status.operations[1].reason, /example\.com/)
  t.strictSame((await listUsers(app, job)).map(u => u.employeeId).sort(), ['E6', 'E7'], 'nothing written for the failures')
})

t.test('characters Entra does not allow before the @ fail with AzureActiveDirectoryInvalidUserPrincipalName', async t => {
  const job = await createJob(app)
  const bad = ['john doe', '.lead', 'trail.', 'a*b', 'a,b', 'a@b', 'zoë', 'a"b', 'a(b)', 'x'.repeat(65)]
  const status = await run(app, job, [
    ...bad.map((local, i) => post(user(`B${i}`, `${local}@contoso.com`))),
    post(user('G1', "o'neil_j-2.x!#^~@contoso.com")),
    post(user('G2', `${'y'.repeat(64)}@contoso.com`))
  ])
  t.same(outcomes(status), [
    ...bad.map((_, i) => [`B${i}`, 'create', 'failure', 'AzureActiveDirectoryInvalidUserPrincipalName']),
    ['G1', 'create', 'success', null],
    ['G2', 'create', 'success', null]
  ])
  t.strictSame((await listUsers(app, job)).map(u => u.employeeId).sort(), ['G1', 'G2'])
})

t.test('an update to an invalid userPrincipalName fails and leaves the user as it was', async t => {
  const job = await createJob(app)
  await run(app, job, [post(user('E1', 'e1@contoso.com', { title: 'Clerk' }))])
  const before = await userByEmployeeId(app, job, 'E1')
  const status = await run(app, job, [
    post(user('E1', 'e1@example.com', { title: 'Manager' })),
    post(user('E1', 'e 1@contoso.com', { title: 'Manager' }))
  ])
  t.same(outcomes(status), [
    ['E1', 'update', 'failure', 'InvalidDomain'],
    ['E1', 'update', 'failure', 'AzureActiveDirectoryInvalidUserPrincipalName']
  ])
  t.equal(status.operations[0].targetId, before.id)
  t.strictSame(await userByEmployeeId(app, job, 'E1'), before)
})

t.test('userPrincipalName is unique across users, case-insensitively: EntryConflict names the holder', async t => {
  const job = await createJob(app)
  const first = await run(app, job, [post(user('E1', 'alex@contoso.com'))])
  const holder = first.operations[0].targetId as string
  const status = await run(app, job, [post(user('E2', 'ALEX@Contoso.com'))])
  t.same(outcomes(status), [['E2', 'create', 'failure', 'EntryConflict']])
  t.match(status.operations[0].reason, /userPrincipalName/)
  t.ok(status.operations[0].reason.includes(holder), 'reason names the holder\'s id')
  t.ok(status.operations[0].reason.includes("'E1'"), 'reason names the holder\'s employeeId')

  // Within one request too, and on update.
  const same = await run(app, job, [post(user('E3', 'sam@contoso.com')), post(user('E4', 'Sam@contoso.com')), post(user('E1', 'SAM@CONTOSO.COM'))])
  t.same(outcomes(same), [['E3', 'create', 'success', null], ['E4', 'create', 'failure', 'EntryConflict'], ['E1', 'update', 'failure', 'EntryConflict']])
  t.ok(same.operations[1].reason.includes(same.operations[0].targetId))
  t.ok(same.operations[2].reason.includes("'E3'"))
  t.equal((await userByEmployeeId(app, job, 'E1')).userPrincipalName, 'alex@contoso.com')
  t.equal(await userByEmployeeId(app, job, 'E4'), undefined)
})

t.test('mailNickname is unique across users, case-insensitively, even under another verified domain', async t => {
  const job = await createJob(app, { domains: ['contoso.com', 'fabrikam.com'] })
  const first = await run(app, job, [post(user('E1', 'alex@contoso.com'))])
  const status = await run(app, job, [post(user('E2', 'ALEX@fabrikam.com'))])
  t.same(outcomes(status), [['E2', 'create', 'failure', 'EntryConflict']])
  t.match(status.operations[0].reason, /mailNickname/)
  t.ok(status.operations[0].reason.includes(first.operations[0].targetId))
  t.ok(status.operations[0].reason.includes("'E1'"))
  t.equal(await userByEmployeeId(app, job, 'E2'), undefined)
})

t.test('a soft-deleted user holds neither its userPrincipalName nor its mailNickname', async t => {
  const job = await createJob(app)
  await run(app, job, [post(user('E1', 'alex@contoso.com'))])
  await run(app, job, [del('E1')])
  const status = await run(app, job, [post(user('E2', 'Alex@contoso.com'))])
  t.same(outcomes(status), [['E2', 'create', 'success', null]])
  // …and restoring the first one now collides with the new holder.
  const restore = await run(app, job, [post(user('E1', 'alex@contoso.com'))])
  t.same(restore.operations.map((op: any) => [op.externalId, op.status, op.errorCode]), [['E1', 'failure', 'EntryConflict']])
  t.ok(restore.operations[0].reason.includes("'E2'"))
  t.type((await userByEmployeeId(app, job, 'E1')).deletedDateTime, 'string', 'still deleted')
})

t.test('a create without userName or displayName fails with MandatoryFieldsMissing', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [
    post({ externalId: 'E1', displayName: 'No Name' }),
    post({ externalId: 'E2', userName: 'e2@contoso.com' }),
    post({ externalId: 'E3', userName: null, displayName: 'Null Name' }),
    post({ externalId: 'E4', userName: 'e4@contoso.com', displayName: '' }),
    post({ externalId: 'E5', title: 'Only a title' }),
    post({ externalId: 'E6', userName: 'e6@contoso.com', displayName: 'Complete' })
  ])
  t.same(outcomes(status), [
    ['E1', 'create', 'failure', 'MandatoryFieldsMissing'],
    ['E2', 'create', 'failure', 'MandatoryFieldsMissing'],
    ['E3', 'create', 'failure', 'MandatoryFieldsMissing'],
    ['E4', 'create', 'failure', 'MandatoryFieldsMissing'],
    ['E5', 'create', 'failure', 'MandatoryFieldsMissing'],
    ['E6', 'create', 'success', null]
  ])
  t.match(status.operations[0].reason, /userPrincipalName/)
  t.match(status.operations[1].reason, /displayName/)
  t.strictSame((await listUsers(app, job)).map(u => u.employeeId), ['E6'])
  // An existing user needs neither on update.
  const update = await run(app, job, [post({ externalId: 'E6', title: 'Clerk' })])
  t.same(outcomes(update), [['E6', 'update', 'success', null]])
})

t.test('a failed operation writes nothing and does not stop the others', async t => {
  const job = await createJob(app)
  await run(app, job, [post(user('E0', 'e0@contoso.com', { title: 'Clerk' }))])
  const before = await userByEmployeeId(app, job, 'E0')
  const status = await run(app, job, [
    post(user('E1', 'e1@example.com', { title: 'Bad domain' })),
    post(user('E2', 'e2@contoso.com', { title: 'Fine' })),
    post(user('E3', 'E2@contoso.com', { title: 'Conflict' })),
    post(user('E0', 'e2@contoso.com', { title: 'Conflicting update' })),
    post({ externalId: 'E4', title: 'Missing values' }),
    post(user('E0', 'e0@contoso.com', { title: 'Supervisor' }))
  ])
  t.same(outcomes(status), [
    ['E1', 'create', 'failure', 'InvalidDomain'],
    ['E2', 'create', 'success', null],
    ['E3', 'create', 'failure', 'EntryConflict'],
    ['E0', 'update', 'failure', 'EntryConflict'],
    ['E4', 'create', 'failure', 'MandatoryFieldsMissing'],
    ['E0', 'update', 'success', null]
  ])
  const users = await listUsers(app, job)
  t.strictSame(users.map(u => [u.employeeId, u.userPrincipalName, u.jobTitle]).sort(), [
    ['E0', 'e0@contoso.com', 'Supervisor'],
    ['E2', 'e2@contoso.com', 'Fine']
  ])
  const rows = await logRows(db, status.id)
  t.equal(rows.length, 6)
  for (const index of [0, 2, 3, 4]) {
    t.strictSame(rows[index].modified_properties, [], `failed operation ${index} reports no modified property`)
    t.strictSame(stepKinds(rows[index]).at(-1), ['export', 'failure'])
    t.type(rows[index].reason, 'string')
  }
  t.strictSame(rows[5].modified_properties, [{ displayName: 'jobTitle', oldValue: 'Clerk', newValue: 'Supervisor' }], 'the failed update of E0 left its old title for the next one')
  t.equal((await userByEmployeeId(app, job, 'E0')).id, before.id)
})

t.test('a user renames away from a UPN and another user, touched earlier in the same request, takes it', async t => {
  const job = await createJob(app)
  await run(app, job, [post(user('A', 'alex@contoso.com')), post(user('B', 'blake@contoso.com'))])
  const status = await run(app, job, [
    post(user('B', 'blake@contoso.com', { title: 'Clerk' })),
    post(user('A', 'alex2@contoso.com')),
    post(user('B', 'alex@contoso.com'))
  ])
  t.same(outcomes(status), [['B', 'update', 'success', null], ['A', 'update', 'success', null], ['B', 'update', 'success', null]])
  t.equal((await userByEmployeeId(app, job, 'A')).userPrincipalName, 'alex2@contoso.com')
  t.equal((await userByEmployeeId(app, job, 'B')).userPrincipalName, 'alex@contoso.com')
})

t.test('a user created earlier in a request takes the UPN of a user deleted later in it', async t => {
  const job = await createJob(app)
  await run(app, job, [post(user('A', 'alex@contoso.com'))])
  const status = await run(app, job, [
    post(user('C', 'casey@contoso.com')),
    del('A'),
    post(user('C', 'alex@contoso.com'))
  ])
  t.same(outcomes(status), [['C', 'create', 'success', null], ['A', 'delete', 'success', null], ['C', 'update', 'success', null]])
  t.equal((await userByEmployeeId(app, job, 'C'))?.userPrincipalName, 'alex@contoso.com')
  t.type((await userByEmployeeId(app, job, 'A')).deletedDateTime, 'string')
})

t.test('restoring a user whose UPN was taken meanwhile fails with EntryConflict even when userName is not re-sent', async t => {
  const job = await createJob(app)
  await run(app, job, [post(user('A', 'alex@contoso.com'))])
  await run(app, job, [del('A')])
  await run(app, job, [post(user('B', 'alex@contoso.com'))])
  // The restore keeps A's stored userPrincipalName (absent attributes are not cleared), which B holds now.
  const status = await run(app, job, [post({ externalId: 'A', title: 'Back' }), post(user('C', 'casey@contoso.com'))])
  t.same(status.operations.map((op: any) => [op.externalId, op.status, op.errorCode]), [['A', 'failure', 'EntryConflict'], ['C', 'success', null]])
  t.type((await userByEmployeeId(app, job, 'A')).deletedDateTime, 'string', 'A stays deleted')
  t.equal((await userByEmployeeId(app, job, 'C'))?.userPrincipalName, 'casey@contoso.com', 'the other operation is applied')
})
