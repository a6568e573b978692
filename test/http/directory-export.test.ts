import t from 'tap'
import type { Test } from 'tap'
import ldif from 'ldif'
import type { LightMyRequestResponse } from 'fastify'
import { adDirectoryEntries } from '../../src/directory/ad/ldif-export.js'
import { getDirectory } from '../../src/directory/repository.js'
import { auth, buildService } from '../helpers/service.js'
import { assertGraphError, ROLE } from '../helpers/http.js'
import { insertAdDirectory, insertAdUser, insertOu } from '../helpers/ad-rows.js'
import { insertSampleAdDirectory, SAMPLE_DOMAIN_DN, type ExpectedEntry } from '../helpers/ad-sample-directory.js'

const { app } = await buildService(t)
const sample = await insertSampleAdDirectory(app.db)

const exportUrl = (directoryId: string): string => `/directories/${directoryId}/export.ldif`
const exportDirectory = async (directoryId: string, headers = auth([ROLE.userRead])): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'GET', url: exportUrl(directoryId), headers })

/** Parsed by the independent `ldif` package: its entries as DN and attribute → values. */
function parseLdif (text: string): ExpectedEntry[] {
  const parsed = ldif.parse(text)
  if (parsed.type !== 'content') throw new Error(`expected content records, got ${parsed.type}`)
  return parsed.entries.map(entry => entry.toObject({ flatten: false }))
}

/** The pool's connections are all back and idle: an export never keeps one. */
function assertPoolIdle (t: Test): void {
  t.equal(app.db.idleCount, app.db.totalCount, `every connection is idle (${app.db.idleCount}/${app.db.totalCount})`)
  t.equal(app.db.waitingCount, 0)
}

t.test('an ad directory exports as LDIF that an independent parser reads back exactly', async t => {
  const response = await exportDirectory(sample.directoryId)
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'text/x-ldif; charset=utf-8')
  t.equal(response.headers['content-disposition'], 'attachment; filename="contoso.com.ldif"')
  t.equal(response.headers['transfer-encoding'], 'chunked', 'streamed, not sent with a length computed up front')

  const text = response.body
  t.ok(text.startsWith('version: 1\n\ndn: DC=contoso,DC=com\n'), 'the version line, then the domain entry')
  t.ok(text.endsWith('\n') && !text.endsWith('\n\n'), 'ends with the last record\'s line')
  t.ok(text.split('\n').every(line => line.length <= 76), 'no line longer than 76 characters')
  t.match(text, /\ndescription: Leads the company;.*\n [^ ]/, 'the long description is folded')
  t.ok(/^[\x00-\x7f]*$/.test(text), 'the file is ASCII: non-ASCII values are all base64')

  const entries = parseLdif(text)
  t.equal(entries.length, sample.expected.length, 'one entry per domain, OU and user')
  const byDn = new Map(entries.map(entry => [entry.dn, entry]))
  t.equal(byDn.size, entries.length, 'no DN twice')
  for (const expected of sample.expected) {
    const entry = byDn.get(expected.dn)
    if (entry === undefined) {
      t.fail(`missing ${expected.dn}`)
      continue
    }
    t.strictSame(entry.attributes, expected.attributes, expected.dn)
  }

  const dns = entries.map(entry => entry.dn)
  t.equal(dns[0], SAMPLE_DOMAIN_DN, 'the domain first')
  t.same(dns.slice(1, 5), [
    'OU=Sales,DC=contoso,DC=com',
    'OU=Users,DC=contoso,DC=com',
    'OU=R&D\\, Europe,OU=Sales,DC=contoso,DC=com',
    'OU=Zürich,OU=R&D\\, Europe,OU=Sales,DC=contoso,DC=com'
  ], 'then the OUs, parents before children')
  t.ok(entries.slice(5).every(entry => entry.attributes.objectClass.includes('user')), 'then the users')
  assertPoolIdle(t)
})

t.test('the base64 rules as written in the file', async t => {
  const text = (await exportDirectory(sample.directoryId)).body
  const b64 = (value: string): string => Buffer.from(value, 'utf8').toString('base64')
  t.match(text, `\ndn:: ${b64('CN=Zoë Ünal,OU=Zürich,OU=R&D\\, Europe,OU=Sales,DC=contoso,DC=com').slice(0, 60)}`, 'a non-ASCII DN is dn::')
  t.match(text, `\ncn:: ${b64('Zoë Ünal')}\n`, 'a non-ASCII value')
  t.match(text, `\ncn:: ${b64('Trailing ')}\n`, 'a value ending in a space')
  t.match(text, `\ncn:: ${b64(' Leading')}\n`, 'a value starting with a space')
  t.match(text, '\ncn: #hash\n', 'a leading # is fine in LDIF (only the DN escapes it)')
  t.match(text, '\ndn: CN=\\#hash,DC=contoso,DC=com\n')
  t.match(text, '\ncn: Smith, John\n')
  t.match(text, '\nobjectGUID:: RENCQUZFSEdJSktMTU5PUA==\n', 'objectGUID is base64 even when its bytes happen to be printable')
  t.notMatch(text, /\nobjectGUID: /, 'never a plain objectGUID')
  t.notMatch(text, /notAnAdAttribute|department:/, 'unknown and empty attributes are left out')
})

t.test('every page boundary keeps the order and loses nothing', async t => {
  const directory = await getDirectory(app.db, sample.directoryId)
  const whole: string[] = []
  for await (const entry of adDirectoryEntries(app.db, directory!)) whole.push(entry.dn)
  for (const pageSize of [1, 2, 3]) {
    const paged: string[] = []
    for await (const entry of adDirectoryEntries(app.db, directory!, { pageSize })) paged.push(entry.dn)
    t.same(paged, whole, `pages of ${pageSize}`)
  }
  assertPoolIdle(t)
})

t.test('a reader that stops early gives its connection back', async t => {
  const directory = await getDirectory(app.db, sample.directoryId)
  const entries = adDirectoryEntries(app.db, directory!, { pageSize: 2 })
  await entries.next()
  await entries.next()
  t.equal(app.db.totalCount - app.db.idleCount, 1, 'one connection held while reading')
  await entries.return(undefined)
  assertPoolIdle(t)

  const head = await app.inject({ method: 'HEAD', url: exportUrl(sample.directoryId), headers: auth() })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  // A HEAD answer may be sent before the export's snapshot transaction has ended and given its
  // connection back; a leak would keep it past any wait.
  const deadline = Date.now() + 5000
  while (app.db.idleCount !== app.db.totalCount && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  assertPoolIdle(t)
})

t.test('a reader that stalls past the idle timeout is cut off, and the process survives it', async t => {
  const directory = await getDirectory(app.db, sample.directoryId)
  const entries = adDirectoryEntries(app.db, directory!, { pageSize: 2, idleTimeoutMs: 100 })
  await entries.next()
  await entries.next()
  // The server ends the idle session; the client's error event must not go unhandled.
  await new Promise(resolve => setTimeout(resolve, 400))
  await t.rejects(async () => { for (;;) if ((await entries.next()).done === true) break }, 'the next page fails')
  t.equal(app.db.totalCount, app.db.idleCount, 'the broken connection is not kept')
  t.equal((await exportDirectory(sample.directoryId)).statusCode, 200, 'later exports work')
})

t.test('an empty ad directory is just its domain', async t => {
  const directoryId = await insertAdDirectory(app.db, 'fabrikam.example.org')
  const response = await exportDirectory(directoryId)
  t.equal(response.statusCode, 200)
  t.equal(response.body, 'version: 1\n\ndn: DC=fabrikam,DC=example,DC=org\nobjectClass: top\nobjectClass: domain\ndc: fabrikam\n')
})

t.test('a few thousand users stream in full', async t => {
  const directoryId = await insertAdDirectory(app.db)
  const ou = await insertOu(app.db, directoryId, 'contoso.com', 'Staff', null)
  const count = 3000
  // Every tenth user reports to the user numbered a tenth of theirs (user 0 manages 1–9).
  await app.db.query(`
    INSERT INTO ad_users (id, directory_id, ou_id, cn, sam_account_name, user_principal_name, employee_id, account_disabled, attributes, manager_id)
    SELECT md5($1::uuid::text || n)::uuid, $1::uuid, $2, 'Worker ' || n, 'w' || n, 'w' || n || '@contoso.com', 'W' || n, n % 7 = 0,
           jsonb_build_object('sn', 'Worker', 'givenName', 'N' || n),
           CASE WHEN n > 0 THEN md5($1::uuid::text || (n / 10))::uuid END
      FROM generate_series(0, $3 - 1) AS n`, [directoryId, ou.id, count])
  const started = Date.now()
  const response = await exportDirectory(directoryId)
  t.equal(response.statusCode, 200)
  t.comment(`${count} users: ${response.body.length} bytes in ${Date.now() - started} ms`)
  const entries = parseLdif(response.body)
  t.equal(entries.length, count + 2, 'the domain, the OU and every user')
  const users = entries.filter(entry => entry.attributes.objectClass.includes('user'))
  const employeeIds = users.map(entry => entry.attributes.employeeID[0])
  t.equal(new Set(employeeIds).size, count, 'each user exactly once')
  t.same([...employeeIds].sort(), Array.from({ length: count }, (_, n) => `W${n}`).sort())
  const byEmployeeId = new Map(users.map(entry => [entry.attributes.employeeID[0], entry]))
  for (const n of [1, 9, 10, 2999]) {
    t.same(byEmployeeId.get(`W${n}`)?.attributes.manager, [`CN=Worker ${Math.floor(n / 10)},OU=Staff,DC=contoso,DC=com`], `W${n}'s manager`)
  }
  t.equal(byEmployeeId.get('W0')?.attributes.manager, undefined, 'W0 has no manager')
  t.equal(users.filter(entry => entry.attributes.userAccountControl[0] === '514').length, Math.ceil(count / 7), 'the disabled ones')
  t.ok(users.every(entry => entry.dn === `CN=${entry.attributes.cn[0]},OU=Staff,DC=contoso,DC=com`))
  assertPoolIdle(t)
})

t.test('only an ad directory can be exported', async t => {
  const entra = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Cloud', kind: 'entra', domains: ['contoso.com'] } })
  t.equal(entra.statusCode, 201)
  const error = assertGraphError(t, await exportDirectory(entra.json().id), 400, 'BadRequest')
  t.match(error.message, /entra directory.*only an ad directory/)
  assertGraphError(t, await exportDirectory('0b5c0d7e-1111-4222-8333-444455556666'), 404, 'ResourceNotFound')
  assertGraphError(t, await exportDirectory('not-a-uuid'), 400, 'BadRequest')
  assertGraphError(t, await app.inject({ method: 'GET', url: `${exportUrl(sample.directoryId)}?x=%00`, headers: auth() }), 400, 'BadRequest')
})

t.test('the read roles of the users list', async t => {
  for (const role of [ROLE.userRead, ROLE.directoryRead, ROLE.directoryReadWrite]) {
    t.equal((await exportDirectory(sample.directoryId, auth([role]))).statusCode, 200, role)
  }
  for (const role of [ROLE.upload, ROLE.syncReadWrite, ROLE.provisioningLogRead]) {
    assertGraphError(t, await exportDirectory(sample.directoryId, auth([role])), 403, 'Authorization_RequestDenied')
  }
  assertGraphError(t, await exportDirectory(sample.directoryId, {}), 401)
})

t.test('a user without an OU, employeeID or userPrincipalName', async t => {
  const directoryId = await insertAdDirectory(app.db)
  await insertAdUser(app.db, directoryId, { cn: 'Root User', samAccountName: 'root', attributes: { sn: 'User' } })
  const entries = parseLdif((await exportDirectory(directoryId)).body)
  t.same(entries.map(entry => entry.dn), ['DC=contoso,DC=com', 'CN=Root User,DC=contoso,DC=com'], 'a user without an OU sits under the domain')
  t.notOk('employeeID' in entries[1].attributes, 'no employeeID line when there is none')
  t.notOk('userPrincipalName' in entries[1].attributes)
})
