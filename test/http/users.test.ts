import t from 'tap'
import { auth, buildService, bulkRequest, createJob, provision, scimUser } from '../helpers/service.js'
import { assertGraphError, ENTERPRISE_URN, ISO_DATE, pathOf, ROLE, UUID } from '../helpers/http.js'

const service = await buildService(t)
const { app } = service
await service.startWorker()

const job = await createJob(app)
const ids = ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7']
const provisioned = await provision(app, job, bulkRequest([
  ...ids.slice(1).map(id => scimUser(id)),
  scimUser('E1', {
    userName: 'Barbara.Jensen@Contoso.com',
    displayName: 'Babs Jensen',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    title: 'Tour Guide',
    userType: 'Employee',
    emails: [{ value: 'bjensen@contoso.com', type: 'work', primary: true }],
    phoneNumbers: [{ value: '555-555-5555', type: 'work' }, { value: '555-555-0000', type: 'mobile' }],
    addresses: [{ type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'USA' }],
    [ENTERPRISE_URN]: { department: 'Tour Operations', organization: 'Universal Studios', manager: { value: 'E2' } }
  })
]))
if (!provisioned.operations.every((op: any) => op.status === 'success')) throw new Error(`setup failed: ${JSON.stringify(provisioned.operations)}`)
const usersUrl = `/directories/${job.directoryId}/users`
const list = async (query: string, headers = auth([ROLE.userRead])): Promise<any> => await app.inject({ method: 'GET', url: `${usersUrl}${query}`, headers })

t.test('?employeeId= finds exactly that user', async t => {
  const response = await list('?employeeId=E3')
  t.equal(response.statusCode, 200)
  t.same(response.json().value.map((user: any) => user.employeeId), ['E3'])
  t.same((await list('?employeeId=e3')).json().value, [], 'employeeId is matched exactly')
  t.same((await list('?employeeId=nobody')).json(), { value: [] })
})

t.test('?userPrincipalName= is case-insensitive', async t => {
  for (const upn of ['Barbara.Jensen@Contoso.com', 'barbara.jensen@contoso.com', 'BARBARA.JENSEN@CONTOSO.COM']) {
    const response = await list(`?userPrincipalName=${encodeURIComponent(upn)}`)
    t.equal(response.statusCode, 200)
    t.same(response.json().value.map((user: any) => user.employeeId), ['E1'], upn)
  }
})

t.test('paging with $top and @odata.nextLink visits every user once', async t => {
  let response = await list('?$top=3')
  t.equal(response.statusCode, 200)
  const pages: number[] = []
  const seen: string[] = []
  for (let guard = 0; guard < 10; guard++) {
    const body = response.json()
    pages.push(body.value.length)
    seen.push(...body.value.map((user: any) => user.employeeId))
    const next = body['@odata.nextLink']
    if (next === undefined) break
    t.match(next, /^https?:\/\/[^/]+\/directories\//, 'nextLink is absolute')
    t.match(next, /top=3/)
    response = await list(pathOf(next).slice(usersUrl.length))
    t.equal(response.statusCode, 200)
  }
  t.same(pages, [3, 3, 1])
  t.same([...seen].sort(), ids, 'all 7 users, each exactly once')
  const all = await list('')
  t.equal(all.json().value.length, 7, 'the default page holds them all')
  t.notOk('@odata.nextLink' in all.json(), 'no nextLink on the last page')
  const exact = await list('?$top=7')
  t.notOk('@odata.nextLink' in exact.json(), 'no nextLink when the page is exactly full')
})

t.test('bad paging parameters → 400', async t => {
  for (const query of ['?$top=0', '?$top=5000', '?$top=-1', '?$top=abc', '?$top=2.5', '?$skiptoken=abc', '?$skiptoken=1', '?$orderby=id']) {
    const error = assertGraphError(t, await list(query), 400, 'BadRequest')
    t.ok(error.details.some((d: any) => /^querystring/.test(d.target)), `${query}: names the query parameter`)
  }
})

t.test('unknown or non-uuid directory', async t => {
  assertGraphError(t, await app.inject({ method: 'GET', url: '/directories/0b5c0d7e-1111-4222-8333-444455556666/users', headers: auth() }), 404, 'ResourceNotFound')
  assertGraphError(t, await app.inject({ method: 'GET', url: '/directories/nope/users', headers: auth() }), 400, 'BadRequest')
  assertGraphError(t, await list('', auth([ROLE.upload])), 403, 'Authorization_RequestDenied')
})

t.test('GET /directories/{id}/users/{userId} → the user with Graph attribute names', async t => {
  const [barbara] = (await list('?employeeId=E1')).json().value
  const [manager] = (await list('?employeeId=E2')).json().value
  const response = await app.inject({ method: 'GET', url: `${usersUrl}/${String(barbara.id)}`, headers: auth([ROLE.directoryRead]) })
  t.equal(response.statusCode, 200)
  const user = response.json()
  t.same(Object.keys(user).sort(), [
    'accountEnabled', 'businessPhones', 'city', 'companyName', 'country', 'createdDateTime', 'deletedDateTime', 'department',
    'displayName', 'employeeId', 'employeeType', 'givenName', 'id', 'jobTitle', 'lastModifiedDateTime', 'mail', 'mailNickname',
    'manager', 'mobilePhone', 'postalCode', 'state', 'streetAddress', 'surname', 'userPrincipalName'
  ])
  t.match(user, {
    id: UUID,
    employeeId: 'E1',
    userPrincipalName: 'Barbara.Jensen@Contoso.com',
    mailNickname: 'Barbara.Jensen',
    displayName: 'Babs Jensen',
    givenName: 'Barbara',
    surname: 'Jensen',
    mail: 'bjensen@contoso.com',
    accountEnabled: true,
    jobTitle: 'Tour Guide',
    department: 'Tour Operations',
    companyName: 'Universal Studios',
    city: 'Hollywood',
    state: 'CA',
    country: 'USA',
    streetAddress: '100 Universal City Plaza',
    postalCode: '91608',
    mobilePhone: '555-555-0000',
    businessPhones: ['555-555-5555'],
    employeeType: 'Employee',
    createdDateTime: ISO_DATE,
    lastModifiedDateTime: ISO_DATE,
    deletedDateTime: null
  })
  t.same(user.manager, { id: manager.id })
  t.same(user, barbara, 'the list shows the same resource')
  t.equal(manager.manager, null, 'no manager → null')
})

t.test('GET one user: unknown → 404, another directory → 404, non-uuid → 400', async t => {
  const [someone] = (await list('?employeeId=E3')).json().value
  assertGraphError(t, await app.inject({ method: 'GET', url: `${usersUrl}/0b5c0d7e-1111-4222-8333-444455556666`, headers: auth() }), 404, 'ResourceNotFound')
  const other = await createJob(app, { start: false })
  assertGraphError(t, await app.inject({ method: 'GET', url: `/directories/${other.directoryId}/users/${String(someone.id)}`, headers: auth() }), 404, 'ResourceNotFound')
  assertGraphError(t, await app.inject({ method: 'GET', url: `${usersUrl}/not-a-uuid`, headers: auth() }), 400, 'BadRequest')
})
