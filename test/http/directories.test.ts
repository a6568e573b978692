import t from 'tap'
import { auth, buildService } from '../helpers/service.js'
import { assertGraphError, ISO_DATE, UUID } from '../helpers/http.js'

const { app } = await buildService(t)
const create = async (payload: unknown): Promise<any> => await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: payload as any })

t.test('POST /directories → 201 with the directory, readable with GET', async t => {
  const response = await create({ displayName: 'Contoso', kind: 'entra', domains: ['contoso.com', 'Corp.Contoso.COM'] })
  t.equal(response.statusCode, 201)
  const directory = response.json()
  t.match(directory.id, UUID)
  t.same(directory, { id: directory.id, displayName: 'Contoso', kind: 'entra', domains: ['contoso.com', 'corp.contoso.com'], createdDateTime: directory.createdDateTime })
  t.match(directory.createdDateTime, ISO_DATE)
  t.equal(response.headers.location, `/directories/${String(directory.id)}`)
  t.match(String(response.headers['request-id']), UUID)

  const read = await app.inject({ method: 'GET', url: `/directories/${String(directory.id)}`, headers: auth() })
  t.equal(read.statusCode, 200)
  t.same(read.json(), directory)
})

t.test('bad bodies → 400 naming the field', async t => {
  const cases: Array<[string, unknown, RegExp, string]> = [
    ['missing domains', { displayName: 'x', kind: 'entra' }, /'domains'/, 'body'],
    ['empty domains', { displayName: 'x', kind: 'entra', domains: [] }, /\/domains/, 'body/domains'],
    ['bad domain', { displayName: 'x', kind: 'entra', domains: ['not a domain'] }, /\/domains\/0/, 'body/domains/0'],
    ['domain without a dot', { displayName: 'x', kind: 'entra', domains: ['contoso'] }, /\/domains\/0/, 'body/domains/0'],
    ['unknown property', { displayName: 'x', kind: 'entra', domains: ['contoso.com'], color: 'red' }, /'color'/, 'body'],
    ['kind ldap', { displayName: 'x', kind: 'ldap', domains: ['contoso.com'] }, /\/kind/, 'body/kind'],
    ['missing displayName', { kind: 'entra', domains: ['contoso.com'] }, /'displayName'/, 'body'],
    ['empty displayName', { displayName: '', kind: 'entra', domains: ['contoso.com'] }, /\/displayName/, 'body/displayName'],
    ['duplicate domains', { displayName: 'x', kind: 'entra', domains: ['contoso.com', 'contoso.com'] }, /\/domains/, 'body/domains']
  ]
  for (const [label, body, message, target] of cases) {
    const error = assertGraphError(t, await create(body), 400, 'BadRequest')
    t.match(error.message, message, `${label}: message names the field`)
    t.ok(error.details.some((detail: any) => detail.target === target && message.test(detail.message)), `${label}: a detail targets ${target}`)
  }
})

t.test('non-JSON and non-object bodies → 400', async t => {
  for (const payload of ['{', 'null', '[]', '"x"']) {
    assertGraphError(t, await app.inject({ method: 'POST', url: '/directories', headers: { ...auth(), 'content-type': 'application/json' }, payload }), 400)
  }
})

t.test('GET /directories/{id}: unknown → 404, non-uuid → 400', async t => {
  const error = assertGraphError(t, await app.inject({ method: 'GET', url: '/directories/6f1c0a57-0000-4000-8000-000000000000', headers: auth() }), 404, 'ResourceNotFound')
  t.match(error.message, /6f1c0a57-0000-4000-8000-000000000000/)
  const bad = assertGraphError(t, await app.inject({ method: 'GET', url: '/directories/not-a-uuid', headers: auth() }), 400, 'BadRequest')
  t.ok(bad.details.some((detail: any) => detail.target === 'params/id'), 'names params/id')
})

t.test('POST /directories kind ad → 201 with domain, its DN and the default OU, canonical', async t => {
  const response = await create({ displayName: 'Contoso AD', kind: 'ad', domain: 'Contoso.COM', defaultOu: 'ou = Users , dc=CONTOSO,dc=com' })
  t.equal(response.statusCode, 201, response.body)
  const directory = response.json()
  t.same(directory, {
    id: directory.id,
    displayName: 'Contoso AD',
    kind: 'ad',
    domains: ['contoso.com'],
    domain: 'contoso.com',
    domainDistinguishedName: 'DC=contoso,DC=com',
    defaultOu: 'OU=Users,DC=contoso,DC=com',
    createdDateTime: directory.createdDateTime
  })
  t.equal(response.headers.location, `/directories/${String(directory.id)}`)
  const read = await app.inject({ method: 'GET', url: `/directories/${String(directory.id)}`, headers: auth() })
  t.same(read.json(), directory)

  const nested = await create({ displayName: 'Nested', kind: 'ad', domain: 'corp.contoso.com', defaultOu: 'OU=Sm\\C3\\A9th\\, Paris,OU=Europe,DC=corp,DC=contoso,DC=com' })
  t.equal(nested.json().defaultOu, 'OU=Sméth\\, Paris,OU=Europe,DC=corp,DC=contoso,DC=com', 'unescaped hex, kept escapes')
  t.equal(nested.json().domainDistinguishedName, 'DC=corp,DC=contoso,DC=com')
})

t.test('a bad defaultOu → 400 naming /defaultOu and why', async t => {
  const cases: Array<[string, RegExp, number | undefined]> = [
    ['OU=Users,DC=fabrikam,DC=com', /^defaultOu OU=Users,DC=fabrikam,DC=com does not lie under the domain DC=contoso,DC=com\.$/, undefined],
    ['DC=contoso,DC=com', /does not lie under the domain/, undefined],
    ['CN=Users,DC=contoso,DC=com', /CN=Users is not an organizational unit/, undefined],
    ['OU=Users,DC=contoso', /does not lie under the domain/, undefined],
    ['OU=Users+OU=x,DC=contoso,DC=com', /multi-valued RDNs .* \(character 9\)/, 9],
    ['OU=Users,,DC=contoso,DC=com', /empty RDN/, 10],
    ['OU=Us\\ers,DC=contoso,DC=com', /is not an escape/, 6],
    [`OU=${'u'.repeat(65)},DC=contoso,DC=com`, /longer than 64 characters/, undefined]
  ]
  for (const [defaultOu, message, position] of cases) {
    const error = assertGraphError(t, await create({ displayName: 'x', kind: 'ad', domain: 'contoso.com', defaultOu }), 400, 'BadRequest')
    t.match(error.message, message, defaultOu)
    t.equal(error.details.length, 1)
    t.equal(error.details[0].target, '/defaultOu', `${defaultOu}: names /defaultOu`)
    t.equal(error.details[0].position, position, `${defaultOu}: position`)
  }
})

t.test('ad and entra bodies each have their own fields', async t => {
  const cases: Array<[string, unknown, RegExp, string]> = [
    ['ad without domain', { displayName: 'x', kind: 'ad', defaultOu: 'OU=Users,DC=contoso,DC=com' }, /'domain'/, 'body'],
    ['ad without defaultOu', { displayName: 'x', kind: 'ad', domain: 'contoso.com' }, /'defaultOu'/, 'body'],
    ['ad with a bad domain', { displayName: 'x', kind: 'ad', domain: 'contoso', defaultOu: 'OU=Users,DC=contoso' }, /\/domain/, 'body/domain'],
    ['ad with an empty defaultOu', { displayName: 'x', kind: 'ad', domain: 'contoso.com', defaultOu: '' }, /\/defaultOu/, 'body/defaultOu'],
    ['ad with a too long defaultOu', { displayName: 'x', kind: 'ad', domain: 'contoso.com', defaultOu: `OU=${'a'.repeat(2046)}` }, /\/defaultOu/, 'body/defaultOu'],
    ['ad with domains', { displayName: 'x', kind: 'ad', domain: 'contoso.com', defaultOu: 'OU=Users,DC=contoso,DC=com', domains: ['contoso.com'] }, /domains is not for an ad directory/, '/domains'],
    ['entra with domain', { displayName: 'x', kind: 'entra', domains: ['contoso.com'], domain: 'contoso.com' }, /domain is not for an entra directory/, '/domain'],
    ['entra with defaultOu', { displayName: 'x', kind: 'entra', domains: ['contoso.com'], defaultOu: 'OU=Users,DC=contoso,DC=com' }, /defaultOu is not for an entra directory/, '/defaultOu']
  ]
  for (const [label, body, message, target] of cases) {
    const error = assertGraphError(t, await create(body), 400, 'BadRequest')
    t.match(error.message, message, `${label}: ${error.message as string}`)
    t.ok(error.details.some((detail: any) => detail.target === target), `${label}: a detail targets ${target}`)
    t.notOk(error.details.some((detail: any) => /must match "(then|else)"/.test(detail.message)), `${label}: no if/then summary`)
  }
})
