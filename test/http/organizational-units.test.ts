import t from 'tap'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import type { LightMyRequestResponse } from 'fastify'
import { auth, buildService } from '../helpers/service.js'
import { assertGraphError, bearer, ISO_DATE, pathOf, ROLE, UUID } from '../helpers/http.js'

const { app, config } = await buildService(t)
const sql = new pg.Client({ connectionString: config.DATABASE_URL })
await sql.connect()
t.teardown(() => sql.end())

async function adDirectory (domain = 'contoso.com', defaultOu = `OU=Users,DC=${domain.split('.').join(',DC=')}`): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Contoso AD', kind: 'ad', domain, defaultOu } })
  if (response.statusCode !== 201) throw new Error(response.body)
  return response.json().id
}

const ousUrl = (directoryId: string): string => `/directories/${directoryId}/organizationalUnits`
const createOu = async (directoryId: string, distinguishedName: unknown, headers = auth()): Promise<any> =>
  await app.inject({ method: 'POST', url: ousUrl(directoryId), headers, payload: { distinguishedName } as any })

t.test('create, read, list and delete OUs', async t => {
  const directoryId = await adDirectory()
  const users = await createOu(directoryId, 'ou = Users , dc=Contoso,DC=COM')
  t.equal(users.statusCode, 201, users.body)
  const ou = users.json()
  t.match(ou.id, UUID)
  t.same(ou, { id: ou.id, name: 'Users', distinguishedName: 'OU=Users,DC=contoso,DC=com', parentDistinguishedName: 'DC=contoso,DC=com', createdDateTime: ou.createdDateTime }, 'canonical, under the domain as the domain spells it')
  t.match(ou.createdDateTime, ISO_DATE)
  t.equal(users.headers.location, `/directories/${directoryId}/organizationalUnits/${String(ou.id)}`)

  const sales = await createOu(directoryId, 'OU=Sales\\, EMEA,OU=USERS,DC=contoso,DC=com')
  t.equal(sales.statusCode, 201)
  t.same(sales.json().name, 'Sales, EMEA', 'the name unescaped')
  t.equal(sales.json().distinguishedName, 'OU=Sales\\, EMEA,OU=Users,DC=contoso,DC=com', 'the parent as stored')
  t.equal(sales.json().parentDistinguishedName, 'OU=Users,DC=contoso,DC=com')
  const accented = await createOu(directoryId, 'OU=Sm\\C3\\A9th \\#1,OU=Users,DC=contoso,DC=com')
  t.equal(accented.json().name, 'Sméth #1', 'hex escapes decoded')

  const read = await app.inject({ method: 'GET', url: String(users.headers.location), headers: auth([ROLE.directoryRead]) })
  t.equal(read.statusCode, 200)
  t.same(read.json(), ou)

  const list = await app.inject({ method: 'GET', url: ousUrl(directoryId), headers: auth([ROLE.userRead]) })
  t.equal(list.statusCode, 200)
  t.same(list.json().value.map((unit: any) => unit.name), ['Users', 'Sales, EMEA', 'Sméth #1'], 'in creation order')
  t.notOk('@odata.nextLink' in list.json())

  const removed = await app.inject({ method: 'DELETE', url: `${ousUrl(directoryId)}/${String(sales.json().id)}`, headers: auth([ROLE.directoryReadWrite]) })
  t.equal(removed.statusCode, 204)
  t.equal(removed.body, '')
  assertGraphError(t, await app.inject({ method: 'GET', url: `${ousUrl(directoryId)}/${String(sales.json().id)}`, headers: auth() }), 404, 'ResourceNotFound')
  assertGraphError(t, await app.inject({ method: 'DELETE', url: `${ousUrl(directoryId)}/${String(sales.json().id)}`, headers: auth() }), 404, 'ResourceNotFound')
  const recreated = await createOu(directoryId, 'OU=Sales\\, EMEA,OU=Users,DC=contoso,DC=com')
  t.equal(recreated.statusCode, 201, 'a deleted DN can be created again')
})

t.test('pages with $top and @odata.nextLink', async t => {
  const directoryId = await adDirectory()
  const names = Array.from({ length: 7 }, (_, i) => `Unit ${i}`)
  for (const name of names) t.equal((await createOu(directoryId, `OU=${name},DC=contoso,DC=com`)).statusCode, 201)
  const seen: string[] = []
  let url: string | undefined = `${ousUrl(directoryId)}?$top=3`
  let pages = 0
  while (url !== undefined) {
    const page: LightMyRequestResponse = await app.inject({ method: 'GET', url, headers: auth() })
    t.equal(page.statusCode, 200)
    const body: { value: Array<{ name: string }>, '@odata.nextLink'?: string } = page.json()
    t.ok(body.value.length <= 3)
    seen.push(...body.value.map(unit => unit.name))
    url = body['@odata.nextLink'] === undefined ? undefined : pathOf(body['@odata.nextLink'])
    pages++
  }
  t.equal(pages, 3)
  t.same(seen, names, 'every OU once, in creation order')
  const bad = assertGraphError(t, await app.inject({ method: 'GET', url: `${ousUrl(directoryId)}?$skiptoken=nope`, headers: auth() }), 400, 'BadRequest')
  t.match(bad.message, /\$skiptoken/)
  assertGraphError(t, await app.inject({ method: 'GET', url: `${ousUrl(directoryId)}?$top=0`, headers: auth() }), 400, 'BadRequest')
  assertGraphError(t, await app.inject({ method: 'GET', url: `${ousUrl(directoryId)}?$filter=x`, headers: auth() }), 400, 'BadRequest')
})

t.test('the parent must exist: the answer names the OU to create first', async t => {
  const directoryId = await adDirectory()
  let error = assertGraphError(t, await createOu(directoryId, 'OU=Sales,OU=Users,DC=contoso,DC=com'), 400, 'BadRequest')
  t.equal(error.message, 'The parent OU=Users,DC=contoso,DC=com does not exist: create it first.')
  t.same(error.details, [{ code: 'invalidValue', target: '/distinguishedName', message: 'parent OU=Users,DC=contoso,DC=com does not exist' }])
  error = assertGraphError(t, await createOu(directoryId, 'OU=Paris,OU=Sales,OU=Users,DC=contoso,DC=com'), 400, 'BadRequest')
  t.equal(error.message, 'The parent OU=Sales,OU=Users,DC=contoso,DC=com does not exist: create OU=Users,DC=contoso,DC=com first.')
  await createOu(directoryId, 'OU=Users,DC=contoso,DC=com')
  error = assertGraphError(t, await createOu(directoryId, 'OU=Paris,OU=Sales,OU=users,DC=contoso,DC=com'), 400, 'BadRequest')
  t.equal(error.message, 'The parent OU=Sales,OU=users,DC=contoso,DC=com does not exist: create OU=Sales,OU=Users,DC=contoso,DC=com first.', 'named as it would be created')
})

t.test('bad distinguished names → 400 naming /distinguishedName and why', async t => {
  const directoryId = await adDirectory()
  await createOu(directoryId, 'OU=Users,DC=contoso,DC=com')
  const cases: Array<[unknown, RegExp, number | undefined]> = [
    ['OU=a+CN=b,DC=contoso,DC=com', /multi-valued/, 5],
    ['OU=,DC=contoso,DC=com', /empty value/, 4],
    ['OU=a\\q,DC=contoso,DC=com', /is not an escape/, 5],
    ['OU=#41,DC=contoso,DC=com', /BER/, 4],
    ['Users,DC=contoso,DC=com', /expected '='/, 6],
    ['CN=Users,DC=contoso,DC=com', /CN=Users is not an organizational unit/, undefined],
    ['OU=Sales,CN=Users,DC=contoso,DC=com', /CN=Users is not an organizational unit/, undefined],
    ['OU=Users,DC=fabrikam,DC=com', /does not lie under the domain DC=contoso,DC=com/, undefined],
    ['DC=contoso,DC=com', /does not lie under the domain/, undefined],
    [`OU=${'x'.repeat(65)},DC=contoso,DC=com`, /longer than 64 characters/, undefined]
  ]
  for (const [dn, message, position] of cases) {
    const error = assertGraphError(t, await createOu(directoryId, dn), 400, 'BadRequest')
    t.match(error.message, message, `${String(dn)}: ${error.message as string}`)
    t.equal(error.details[0]?.target, '/distinguishedName')
    t.equal(error.details[0]?.position, position, `${String(dn)}: position`)
  }
  for (const payload of [{}, { distinguishedName: '' }, { distinguishedName: 'x'.repeat(2049) }, { distinguishedName: 5 }, { distinguishedName: 'OU=a,DC=contoso,DC=com', extra: 1 }]) {
    assertGraphError(t, await app.inject({ method: 'POST', url: ousUrl(directoryId), headers: auth(), payload }), 400, 'BadRequest')
  }
})

t.test('the same DN again, in any spelling → 409', async t => {
  const directoryId = await adDirectory()
  const first = (await createOu(directoryId, 'OU=Users,DC=contoso,DC=com')).json()
  for (const again of ['OU=Users,DC=contoso,DC=com', 'ou=USERS , dc=contoso, dc=com', 'OU=\\55sers,DC=contoso,DC=com']) {
    const error = assertGraphError(t, await createOu(directoryId, again), 409, 'Conflict')
    t.equal(error.message, `OU=Users,DC=contoso,DC=com already exists (id ${String(first.id)}).`)
  }
  const racing = await Promise.all(Array.from({ length: 5 }, async () => await createOu(directoryId, 'OU=Racing,DC=contoso,DC=com')))
  t.same(racing.map(response => response.statusCode).sort(), [201, 409, 409, 409, 409], 'concurrent creates: one wins')
})

t.test('an OU holding OUs or users cannot be deleted', async t => {
  const directoryId = await adDirectory()
  const users = (await createOu(directoryId, 'OU=Users,DC=contoso,DC=com')).json()
  const sales = (await createOu(directoryId, 'OU=Sales,OU=Users,DC=contoso,DC=com')).json()
  let error = assertGraphError(t, await app.inject({ method: 'DELETE', url: `${ousUrl(directoryId)}/${String(users.id)}`, headers: auth() }), 409, 'Conflict')
  t.equal(error.message, 'OU=Users,DC=contoso,DC=com still holds 1 organizational unit and 0 users; delete or move them first.')

  for (const [cn, sam] of [['Ann', 'ann'], ['Bob', 'bob']]) {
    await sql.query('INSERT INTO ad_users (id, directory_id, ou_id, cn, sam_account_name) VALUES ($1, $2, $3, $4, $5)', [randomUUID(), directoryId, sales.id, cn, sam])
  }
  error = assertGraphError(t, await app.inject({ method: 'DELETE', url: `${ousUrl(directoryId)}/${String(sales.id)}`, headers: auth() }), 409, 'Conflict')
  t.equal(error.message, 'OU=Sales,OU=Users,DC=contoso,DC=com still holds 0 organizational units and 2 users; delete or move them first.')

  await sql.query('DELETE FROM ad_users WHERE directory_id = $1', [directoryId])
  t.equal((await app.inject({ method: 'DELETE', url: `${ousUrl(directoryId)}/${String(sales.id)}`, headers: auth() })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `${ousUrl(directoryId)}/${String(users.id)}`, headers: auth() })).statusCode, 204)
})

t.test('entra directories have no OUs; unknown directory or OU → 404', async t => {
  const entra = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Cloud', kind: 'entra', domains: ['contoso.com'] } })
  const entraId = entra.json().id as string
  for (const [method, url] of [['POST', ousUrl(entraId)], ['GET', ousUrl(entraId)], ['GET', `${ousUrl(entraId)}/${randomUUID()}`], ['DELETE', `${ousUrl(entraId)}/${randomUUID()}`]] as const) {
    const error = assertGraphError(t, await app.inject({ method, url, headers: auth(), ...(method === 'POST' ? { payload: { distinguishedName: 'OU=Users,DC=contoso,DC=com' } } : {}) }), 400, 'BadRequest')
    t.match(error.message, /is an entra directory; organizational units exist only in ad directories/, `${method} ${url}`)
  }
  const unknown = randomUUID()
  const error = assertGraphError(t, await createOu(unknown, 'OU=Users,DC=contoso,DC=com'), 404, 'ResourceNotFound')
  t.match(error.message, new RegExp(`Directory ${unknown} does not exist`))
  assertGraphError(t, await app.inject({ method: 'GET', url: ousUrl(unknown), headers: auth() }), 404, 'ResourceNotFound')
  const directoryId = await adDirectory()
  const missing = randomUUID()
  assertGraphError(t, await app.inject({ method: 'GET', url: `${ousUrl(directoryId)}/${missing}`, headers: auth() }), 404, 'ResourceNotFound')
  assertGraphError(t, await app.inject({ method: 'GET', url: `${ousUrl(directoryId)}/not-a-uuid`, headers: auth() }), 400, 'BadRequest')

  const other = await adDirectory('fabrikam.com')
  const ou = (await createOu(other, 'OU=Users,DC=fabrikam,DC=com')).json()
  assertGraphError(t, await app.inject({ method: 'GET', url: `${ousUrl(directoryId)}/${String(ou.id)}`, headers: auth() }), 404, 'ResourceNotFound')
  assertGraphError(t, await app.inject({ method: 'DELETE', url: `${ousUrl(directoryId)}/${String(ou.id)}`, headers: auth() }), 404, 'ResourceNotFound')
})

t.test('tokens and roles', async t => {
  const directoryId = await adDirectory()
  const ou = (await createOu(directoryId, 'OU=Users,DC=contoso,DC=com')).json()
  const ouUrl = `${ousUrl(directoryId)}/${String(ou.id)}`
  assertGraphError(t, await app.inject({ method: 'GET', url: ousUrl(directoryId) }), 401)
  assertGraphError(t, await app.inject({ method: 'POST', url: ousUrl(directoryId), headers: bearer('not-a-jwt'), payload: { distinguishedName: 'OU=x,DC=contoso,DC=com' } }), 401)
  for (const role of [ROLE.directoryRead, ROLE.userRead, ROLE.syncReadWrite]) {
    assertGraphError(t, await createOu(directoryId, 'OU=x,DC=contoso,DC=com', auth([role])), 403)
    assertGraphError(t, await app.inject({ method: 'DELETE', url: ouUrl, headers: auth([role]) }), 403)
  }
  for (const role of [ROLE.syncReadWrite, ROLE.upload]) {
    assertGraphError(t, await app.inject({ method: 'GET', url: ousUrl(directoryId), headers: auth([role]) }), 403)
    assertGraphError(t, await app.inject({ method: 'GET', url: ouUrl, headers: auth([role]) }), 403)
  }
  for (const role of [ROLE.directoryRead, ROLE.userRead, ROLE.directoryReadWrite]) {
    t.equal((await app.inject({ method: 'GET', url: ouUrl, headers: auth([role]) })).statusCode, 200, `${role} reads`)
  }
})
