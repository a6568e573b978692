import t from 'tap'
import ldif from 'ldif'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { auth, buildService } from '../helpers/service.js'
import { insertOu } from '../helpers/ad-rows.js'
import { insertSampleAdDirectory, SAMPLE_DOMAIN, SAMPLE_DOMAIN_DN } from '../helpers/ad-sample-directory.js'
import { findOpenLdap, startTestLdapServer, type TestLdapServer } from '../helpers/slapd.js'

/*
 * The LDIF export loaded into a real OpenLDAP with ldapadd (schema checking on) and read back
 * with ldapsearch. OpenLDAP lacks Active Directory's attributes and `user` class; the test
 * schema in test/fixtures/ldap declares them. Skipped where slapd is not installed.
 */
const tools = findOpenLdap()

const WORKERS = 500

/** ldapsearch's output parsed by the same independent LDIF parser (base64 values decoded as UTF-8). */
function entriesOf (output: string): Array<{ dn: string, attributes: Record<string, string[]> }> {
  return output.trim() === '' ? [] : ldif.parse(output).entries.map(entry => entry.toObject({ flatten: false }))
}

const countEntries = (output: string): number => output.split('\n').filter(line => /^dn::? /.test(line)).length

/** A filter value matching these bytes exactly (RFC 4515 escapes every byte). */
const octetFilter = (hex: string): string => hex.replace(/../g, '\\$&')

t.test('an ad directory export loads into OpenLDAP and reads back', { skip: typeof tools === 'string' ? tools : false }, async t => {
  if (typeof tools === 'string') return
  const { app } = await buildService(t)
  const sample = await insertSampleAdDirectory(app.db)
  const staff = await insertOu(app.db, sample.directoryId, SAMPLE_DOMAIN, 'Staff', null)
  await app.db.query(`
    INSERT INTO ad_users (id, directory_id, ou_id, cn, sam_account_name, employee_id, account_disabled, attributes, manager_id)
    SELECT md5('worker' || n)::uuid, $1, $2, 'Worker ' || n, 'w' || n, 'W' || n, n % 5 = 0,
           jsonb_build_object('sn', 'Worker', 'accountExpires', '9223372036854775807'),
           CASE WHEN n > 1 THEN md5('worker' || (n / 2))::uuid END
      FROM generate_series(1, $3::int) AS n`, [sample.directoryId, staff.id, WORKERS])

  const response = await app.inject({ method: 'GET', url: `/directories/${sample.directoryId}/export.ldif`, headers: auth() })
  t.equal(response.statusCode, 200)

  const started = Date.now()
  const server: TestLdapServer = await startTestLdapServer(t, tools, SAMPLE_DOMAIN_DN)
  const file = path.join(server.dir, 'export.ldif')
  await writeFile(file, response.body)
  await server.add(file)
  t.comment(`slapd started and ${sample.expected.length + 1 + WORKERS} entries added in ${Date.now() - started} ms`)

  const everything = await server.search('-b', SAMPLE_DOMAIN_DN, '(objectClass=*)', '1.1')
  t.equal(countEntries(everything), sample.expected.length + 1 + WORKERS, 'every entry of the file is in the directory')

  for (const expected of sample.expected) {
    // A base search by the DN exactly as exported: slapd must read our escaping as the same name.
    const [entry, ...more] = entriesOf(await server.search('-b', expected.dn, '-s', 'base', '(objectClass=*)'))
    t.equal(more.length, 0)
    if (entry === undefined) {
      t.fail(`no entry at ${expected.dn}`)
      continue
    }
    const { manager: expectedManager, ...expectedRest } = expected.attributes
    const { manager, ...rest } = entry.attributes
    t.strictSame(rest, expectedRest, `${expected.dn}: attributes as exported`)
    if (expectedManager === undefined) {
      t.equal(manager, undefined, `${expected.dn}: no manager`)
      continue
    }
    // slapd returns DNs in its own spelling (cn=Smith\2C John,…): compare the entries they name.
    const managerEntry = entriesOf(await server.search('-b', manager[0], '-s', 'base', '(objectClass=*)', 'cn'))
    const expectedManagerEntry = entriesOf(await server.search('-b', expectedManager[0], '-s', 'base', '(objectClass=*)', 'cn'))
    t.equal(managerEntry.length, 1, `${expected.dn}: the manager DN names an entry`)
    t.same(managerEntry, expectedManagerEntry, `${expected.dn}: the manager is ${expectedManager[0]}`)
  }

  const bySam = entriesOf(await server.search('-b', SAMPLE_DOMAIN_DN, '(sAMAccountName=jsmith)', 'cn'))
  t.same(bySam.map(entry => entry.attributes.cn), [['Smith, John']], 'found by sAMAccountName')
  const byName = entriesOf(await server.search('-b', SAMPLE_DOMAIN_DN, '(cn=Zoë Ünal)', 'sAMAccountName'))
  t.same(byName.map(entry => entry.attributes.sAMAccountName), [['zunal']], 'a UTF-8 name matches')
  const disabled = await server.search('-b', SAMPLE_DOMAIN_DN, '(&(objectClass=user)(userAccountControl=514))', '1.1')
  t.equal(countEntries(disabled), 1 + WORKERS / 5, 'userAccountControl is an integer slapd compares')

  // objectGUID holds AD's byte order: the first three fields of the GUID reversed.
  const { rows: [worker] } = await app.db.query<{ id: string }>("SELECT id FROM ad_users WHERE employee_id = 'W7'")
  const hex = worker.id.replace(/-/g, '')
  const adOrder = hex.slice(6, 8) + hex.slice(4, 6) + hex.slice(2, 4) + hex.slice(0, 2) + hex.slice(10, 12) + hex.slice(8, 10) + hex.slice(14, 16) + hex.slice(12, 14) + hex.slice(16)
  const byGuid = entriesOf(await server.search('-b', SAMPLE_DOMAIN_DN, `(objectGUID=${octetFilter(adOrder)})`, 'employeeID'))
  t.same(byGuid.map(entry => entry.attributes.employeeID), [['W7']], 'found by its objectGUID bytes')

  const reports = await server.search('-b', SAMPLE_DOMAIN_DN, '(manager=CN=Worker 3,OU=Staff,DC=contoso,DC=com)', '1.1')
  t.equal(countEntries(reports), 2, 'Worker 3 manages Workers 6 and 7: manager is a DN slapd matches')
})
