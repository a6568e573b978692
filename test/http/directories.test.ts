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
