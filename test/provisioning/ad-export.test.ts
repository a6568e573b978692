import t from 'tap'
import ldif from 'ldif'
import { adUsers, createAdDirectory, createAdJob } from '../helpers/ad.js'
import { ENTERPRISE, outcomes, post, provisioningFixture, run } from '../helpers/provisioning.js'
import { auth } from '../helpers/service.js'

/*
 * Users provisioned through the API2AD pipeline, then exported: every user of the users
 * route is in the LDIF under the same distinguishedName, with the same attributes and manager.
 */
const { app } = await provisioningFixture(t)

/** The attributes the users route and the LDIF both carry, by the LDIF's names. */
const COMPARED = ['cn', 'sAMAccountName', 'userPrincipalName', 'employeeID', 'givenName', 'sn', 'title', 'department', 'l', 'co', 'mobile', 'manager']

t.test('a provisioned ad directory exports what the users route shows', async t => {
  const directoryId = await createAdDirectory(app, { ous: ['OU=Users,DC=contoso,DC=com', 'OU=Zürich,OU=Users,DC=contoso,DC=com'] })
  const job = await createAdJob(app, directoryId)
  const person = (id: string, givenName: string, familyName: string, displayName: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    externalId: id, userName: `u${id}@contoso.com`, displayName, name: { givenName, familyName }, active: true, ...extra
  })
  const status = await run(app, job, [
    post(person('1', 'Ada', 'Boss', 'Ada Boss', { title: 'Chief Executive' })),
    post(person('2', 'John', 'Smith', 'Smith, John', { [ENTERPRISE]: { department: 'R&D', manager: { value: '1' } } })),
    post(person('3', 'Zoë', 'Ünal', 'Zoë Ünal ', { addresses: [{ type: 'work', locality: 'Zürich', country: 'CH' }], [ENTERPRISE]: { manager: { value: '2' } } })),
    post(person('4', 'Hash', 'Tag', '#hash', { active: false, phoneNumbers: [{ type: 'mobile', value: '+41 44 000 00 00' }] }))
  ])
  t.same(outcomes(status).map(([, , state]) => state), ['success', 'success', 'success', 'success'])

  const response = await app.inject({ method: 'GET', url: `/directories/${directoryId}/export.ldif`, headers: auth() })
  t.equal(response.statusCode, 200)
  const entries = ldif.parse(response.body).entries.map(entry => entry.toObject({ flatten: false }))
  t.same(entries.slice(0, 3).map(entry => entry.dn), ['DC=contoso,DC=com', 'OU=Users,DC=contoso,DC=com', 'OU=Zürich,OU=Users,DC=contoso,DC=com'])
  const byDn = new Map(entries.map(entry => [entry.dn, entry.attributes]))

  const users = await adUsers(app, directoryId)
  t.equal(users.length, 4)
  t.equal(entries.length, 3 + users.length)
  for (const user of users) {
    const exported = byDn.get(user.distinguishedName)
    if (exported === undefined) {
      t.fail(`${user.distinguishedName as string} is not in the export`)
      continue
    }
    t.same(exported.userAccountControl, [String(user.userAccountControl)], `${user.cn as string}: userAccountControl`)
    for (const name of COMPARED) {
      const value = user[name]
      t.same(exported[name], value === null || value === undefined || value === '' ? undefined : [value], `${user.cn as string}: ${name}`)
    }
  }
  const smith = users.find(user => user.employeeID === '2')
  t.equal(smith.distinguishedName, 'CN=Smith\\, John,OU=Users,DC=contoso,DC=com')
  t.equal(users.find(user => user.employeeID === '3').manager, smith.distinguishedName, 'a manager DN that needs escaping')
  t.equal(users.find(user => user.employeeID === '4').userAccountControl, 514)
})
