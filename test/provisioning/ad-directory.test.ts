import t from 'tap'
import { adUser, adUsers, createAdDirectory, createAdJob } from '../helpers/ad.js'
import { del, ENTERPRISE, logRows, outcomes, post, provisioningFixture, run } from '../helpers/provisioning.js'
import { auth } from '../helpers/service.js'

const { app, db } = await provisioningFixture(t)

const person = (id: string, givenName: string, familyName: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  externalId: id,
  userName: `${givenName}.${familyName}.${id}@contoso.com`.replaceAll(' ', '').replaceAll(',', ''),
  displayName: `${givenName} ${familyName}`,
  name: { givenName, familyName },
  active: true,
  ...extra
})

t.test('users are created in the default OU with AD attributes, a DN and a generated sAMAccountName', async t => {
  const directoryId = await createAdDirectory(app)
  const job = await createAdJob(app, directoryId)
  const status = await run(app, job, [
    post(person('100', 'Barbara', 'Jensen', {
      title: 'Tour Guide',
      emails: [{ type: 'work', value: 'bjensen@contoso.com' }],
      phoneNumbers: [{ type: 'work', value: '555-0100' }, { type: 'mobile', value: '555-0101' }],
      addresses: [{ type: 'work', streetAddress: '1 Main St', locality: 'Dallas', region: 'TX', postalCode: '75001', country: 'US' }],
      [ENTERPRISE]: { department: 'Tours', division: 'Parks', organization: 'Universal', manager: { value: '200' } }
    })),
    post(person('200', 'Ann', 'Lee'))
  ])
  t.same(outcomes(status), [['100', 'create', 'success', null], ['200', 'create', 'success', null]])
  const barbara = await adUser(app, directoryId, '100')
  t.match(barbara, {
    distinguishedName: 'CN=Barbara Jensen,OU=Users,DC=contoso,DC=com',
    parentDistinguishedName: 'OU=Users,DC=contoso,DC=com',
    cn: 'Barbara Jensen',
    sAMAccountName: 'bjensen',
    userPrincipalName: 'Barbara.Jensen.100@contoso.com',
    employeeID: '100',
    userAccountControl: 512,
    givenName: 'Barbara',
    sn: 'Jensen',
    title: 'Tour Guide',
    mail: 'bjensen@contoso.com',
    telephoneNumber: '555-0100',
    mobile: '555-0101',
    streetAddress: '1 Main St',
    l: 'Dallas',
    st: 'TX',
    postalCode: '75001',
    co: 'US',
    department: 'Tours',
    division: 'Parks',
    company: 'Universal',
    manager: 'CN=Ann Lee,OU=Users,DC=contoso,DC=com'
  })
  const bySam = await adUsers(app, directoryId, 'sAMAccountName=BJENSEN')
  t.same(bySam.map(user => user.objectGUID), [barbara.objectGUID], 'found by sAMAccountName, case-insensitively')
  const byDn = await adUsers(app, directoryId, `distinguishedName=${encodeURIComponent('cn=barbara jensen, ou=users, dc=contoso, dc=com')}`)
  t.same(byDn.map(user => user.objectGUID), [barbara.objectGUID], 'found by DN, compared as AD compares DNs')
  const one = await app.inject({ method: 'GET', url: `/directories/${directoryId}/users/${barbara.objectGUID as string}`, headers: auth() })
  t.equal(one.json().distinguishedName, barbara.distinguishedName)
  const [entry] = await logRows(db, status.id)
  t.match(entry!.modified_properties, [{ displayName: 'cn', newValue: 'Barbara Jensen' }])
  t.ok(entry!.modified_properties.some(property => property.displayName === 'distinguishedName' && property.newValue === barbara.distinguishedName), 'the log names the DN written')
})

t.test('colliding names get the next candidate, then numbers; cn is unique within its OU; names are escaped in DNs', async t => {
  const directoryId = await createAdDirectory(app)
  const job = await createAdJob(app, directoryId)
  const smiths = ['1', '2', '3', '4', '5'].map(id => post({ ...person(id, 'John', 'Smith'), displayName: `John Smith ${id}` }))
  const status = await run(app, job, [...smiths, post({ ...person('6', 'Zoë', 'Ünal, Jr.'), displayName: 'Ünal, Zoë #1 ' })])
  t.same(outcomes(status).map(([, , state]) => state), ['success', 'success', 'success', 'success', 'success', 'success'])
  const names = await Promise.all(['1', '2', '3', '4', '5'].map(async id => (await adUser(app, directoryId, id)).sAMAccountName))
  t.same(names, ['jsmith', 'josmith', 'johnsmith', 'jsmith1', 'jsmith2'], 'first initial + surname, two initials, the whole given name, then numbered')
  const zoe = await adUser(app, directoryId, '6')
  t.equal(zoe.sAMAccountName, 'zunaljr', 'diacritics, the comma AD refuses and the trailing dot removed')
  t.equal(zoe.distinguishedName, 'CN=Ünal\\, Zoë #1\\ ,OU=Users,DC=contoso,DC=com', 'the comma and trailing space escaped (RFC 4514)')
  const found = await adUsers(app, directoryId, `distinguishedName=${encodeURIComponent(zoe.distinguishedName)}`)
  t.equal(found.length, 1)

  const clash = await run(app, job, [post({ ...person('7', 'Jane', 'Doe'), displayName: 'John Smith 1' })])
  t.same(outcomes(clash), [['7', 'create', 'failure', 'EntryConflict']])
  t.match(clash.operations[0].reason, /CN=John Smith 1,OU=Users,DC=contoso,DC=com already exists/)
})

t.test('a changed parentDistinguishedName moves the user, a changed cn renames it, and reports follow their manager', async t => {
  const directoryId = await createAdDirectory(app, { ous: ['OU=Users,DC=contoso,DC=com', 'OU=Dallas,OU=Users,DC=contoso,DC=com', 'OU=Austin,OU=Users,DC=contoso,DC=com'] })
  const job = await createAdJob(app, directoryId)
  const schema = (await app.inject({ method: 'GET', url: `${job.jobUrl}/schema`, headers: auth() })).json()
  schema.attributeMappings.push({
    targetAttributeName: 'parentDistinguishedName',
    source: { type: 'Function', expression: 'Switch([addresses[type eq "work"].locality], "OU=Users,DC=contoso,DC=com", "Dallas", "OU=Dallas,OU=Users,DC=contoso,DC=com", "Austin", "OU=Austin,OU=Users,DC=contoso,DC=com", "Boston", "OU=Boston,OU=Users,DC=contoso,DC=com")' },
    mappingType: 'Expression'
  })
  const saved = await app.inject({ method: 'PUT', url: `${job.jobUrl}/schema`, headers: auth(), payload: schema })
  t.equal(saved.statusCode, 200, saved.body)
  const inCity = (city: string): Record<string, unknown> => ({ addresses: [{ type: 'work', locality: city }] })
  await run(app, job, [post(person('M', 'Maria', 'Garcia', inCity('Dallas'))), post(person('R', 'Raj', 'Patel', { ...inCity('Austin'), [ENTERPRISE]: { manager: { value: 'M' } } }))])
  t.equal((await adUser(app, directoryId, 'M')).distinguishedName, 'CN=Maria Garcia,OU=Dallas,OU=Users,DC=contoso,DC=com')
  t.equal((await adUser(app, directoryId, 'R')).manager, 'CN=Maria Garcia,OU=Dallas,OU=Users,DC=contoso,DC=com')

  const moved = await run(app, job, [post(person('M', 'Maria', 'Garcia', inCity('Austin')))])
  t.same(outcomes(moved), [['M', 'update', 'success', null]])
  t.match(moved.operations[0], { action: 'update' })
  const maria = await adUser(app, directoryId, 'M')
  t.equal(maria.distinguishedName, 'CN=Maria Garcia,OU=Austin,OU=Users,DC=contoso,DC=com', 'moved')
  t.equal((await adUser(app, directoryId, 'R')).manager, maria.distinguishedName, "the report's manager DN follows")
  const [movedEntry] = await logRows(db, moved.id)
  t.match(movedEntry!.modified_properties.find(property => property.displayName === 'distinguishedName'), { oldValue: 'CN=Maria Garcia,OU=Dallas,OU=Users,DC=contoso,DC=com', newValue: maria.distinguishedName })

  await run(app, job, [post({ ...person('M', 'Maria', 'Garcia', inCity('Austin')), displayName: 'Maria Garcia-Lopez' })])
  t.equal((await adUser(app, directoryId, 'M')).distinguishedName, 'CN=Maria Garcia-Lopez,OU=Austin,OU=Users,DC=contoso,DC=com', 'renamed')
  t.equal((await adUser(app, directoryId, 'R')).manager, 'CN=Maria Garcia-Lopez,OU=Austin,OU=Users,DC=contoso,DC=com')

  const nowhere = await run(app, job, [post(person('M', 'Maria', 'Garcia', inCity('Boston')))])
  t.same(outcomes(nowhere), [['M', 'update', 'failure', 'NoSuchObject']])
  t.match(nowhere.operations[0].reason, /OU=Boston,OU=Users,DC=contoso,DC=com does not exist/)
  t.equal((await adUser(app, directoryId, 'M')).parentDistinguishedName, 'OU=Austin,OU=Users,DC=contoso,DC=com', 'left where it was')
})

t.test('active false disables (514), DELETE is a hard delete that unlinks reports, and a manager arriving again is relinked', async t => {
  const directoryId = await createAdDirectory(app)
  const job = await createAdJob(app, directoryId)
  await run(app, job, [post(person('B', 'Boss', 'One')), post(person('W', 'Worker', 'Two', { [ENTERPRISE]: { manager: { value: 'B' } } }))])
  await run(app, job, [post({ ...person('W', 'Worker', 'Two', { [ENTERPRISE]: { manager: { value: 'B' } } }), active: false })])
  t.match(await adUser(app, directoryId, 'W'), { userAccountControl: 514, accountDisabled: true })
  const boss = await adUser(app, directoryId, 'B')

  const deleted = await run(app, job, [del('B')])
  t.same(outcomes(deleted), [['B', 'delete', 'success', null]])
  t.equal(await adUser(app, directoryId, 'B'), undefined, 'gone for good')
  const { rows } = await db.query('SELECT count(*)::int AS n FROM ad_users WHERE id = $1', [boss.objectGUID])
  t.equal(rows[0].n, 0, 'no tombstone kept')
  t.equal((await adUser(app, directoryId, 'W')).manager, null, "the report's manager link is cleared")

  const back = await run(app, job, [post(person('B', 'Boss', 'One'))])
  t.same(outcomes(back), [['B', 'create', 'success', null]])
  const again = await adUser(app, directoryId, 'B')
  t.not(again.objectGUID, boss.objectGUID, 'a new object, as AD creates one')
  t.equal((await adUser(app, directoryId, 'W')).manager, again.distinguishedName, 'the waiting report is linked to the new manager')
  const resolution = (await logRows(db, back.id)).find(row => row.operation_index === -1)
  t.match(resolution, { target_id: (await adUser(app, directoryId, 'W')).objectGUID, steps: [{ provisioningStepType: 'referenceResolution', status: 'success' }] })
})

t.test('a parent OU that does not exist fails the record, and OUs holding users cannot be deleted', async t => {
  const directoryId = await createAdDirectory(app, { ous: ['OU=Users,DC=contoso,DC=com'] })
  const job = await createAdJob(app, directoryId)
  await run(app, job, [post(person('1', 'Ada', 'Lovelace'))])
  const ous = (await app.inject({ method: 'GET', url: `/directories/${directoryId}/organizationalUnits`, headers: auth() })).json().value
  const refused = await app.inject({ method: 'DELETE', url: `/directories/${directoryId}/organizationalUnits/${ous[0].id as string}`, headers: auth() })
  t.equal(refused.statusCode, 409)

  const noDefault = await createAdDirectory(app, { ous: [], defaultOu: 'OU=Missing,DC=contoso,DC=com' })
  const orphanJob = await createAdJob(app, noDefault)
  const failed = await run(app, orphanJob, [post(person('2', 'Alan', 'Turing'))])
  t.same(outcomes(failed), [['2', 'create', 'failure', 'NoSuchObject']])
  t.match(failed.operations[0].reason, /OU=Missing,DC=contoso,DC=com does not exist/)
})

t.test('the delete threshold holds back AD hard deletes; ForceDeletes applies them, and a full restart re-maps AD users', async t => {
  const directoryId = await createAdDirectory(app)
  const job = await createAdJob(app, directoryId)
  const patched = await app.inject({ method: 'PATCH', url: `${job.jobUrl}/settings`, headers: auth(), payload: { deleteThreshold: 2 } })
  t.equal(patched.statusCode, 204)
  await run(app, job, ['1', '2', '3', '4'].map(id => post(person(id, 'Temp', `Worker${id}`))))
  const status = await run(app, job, ['1', '2', '3'].map(id => del(id)))
  t.same(status.operations.map((op: any) => op.action), ['delete', 'delete', 'stagedDelete'])
  t.ok(await adUser(app, directoryId, '3'), 'the staged delete is not applied')
  const restart = await app.inject({ method: 'POST', url: `${job.jobUrl}/restart`, headers: auth(), payload: { criteria: { resetScope: 'ForceDeletes' } } })
  t.equal(restart.statusCode, 204)
  t.equal(await adUser(app, directoryId, '3'), undefined, 'ForceDeletes applied it, as a hard delete')

  const schema = (await app.inject({ method: 'GET', url: `${job.jobUrl}/schema`, headers: auth() })).json()
  schema.attributeMappings.push({ targetAttributeName: 'extensionAttribute1', source: { type: 'Function', expression: 'Join(":", "HR", [externalId])' }, mappingType: 'Expression' })
  schema.attributeMappings.push({ targetAttributeName: 'accountExpires', source: { type: 'Function', expression: 'NumFromDate("2030-12-31T23:59:59Z")' }, mappingType: 'Expression' })
  t.equal((await app.inject({ method: 'PUT', url: `${job.jobUrl}/schema`, headers: auth(), payload: schema })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/restart`, headers: auth(), payload: { criteria: { resetScope: 'Full' } } })).statusCode, 204)
  const deadline = Date.now() + 15_000
  while ((await adUser(app, directoryId, '4')).extensionAttribute1 === null && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  const remapped = await adUser(app, directoryId, '4')
  t.equal(remapped.extensionAttribute1, 'HR:4', 'the new mapping applied to the user\'s last record')
  t.equal(remapped.accountExpires, '135694655990000000', 'accountExpires as a Windows file time')
})
