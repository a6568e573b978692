import t from 'tap'
import { auth, buildService, bulkRequest, createJob, scimUser, upload, waitForRequest } from '../helpers/service.js'
import { assertGraphError, BULK_URN, getStatus, postUpload } from '../helpers/http.js'

const service = await buildService(t)
const { app } = service
await service.startWorker()
const job = await createJob(app, { start: false })

/** A request whose only operation carries `data` (raw JSON text) after a valid externalId. */
const withData = (dataMembers: string): string =>
  `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","bulkId":"b","path":"/Users","data":{"externalId":"1"${dataMembers}}}]}`
const deepArrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)
const deepObjects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

const HOSTILE: Array<[string, string | Buffer]> = [
  ['10,000 nested arrays as the body', deepArrays(10_000)],
  ['200,000 nested arrays as the body', deepArrays(200_000)],
  ['10,000 nested arrays inside data', withData(`,"x":${deepArrays(10_000)}`)],
  ['10,000 nested objects inside data', withData(`,"x":${deepObjects(10_000)}`)],
  ['10,000 nested arrays as Operations', `{"schemas":["${BULK_URN}"],"Operations":${deepArrays(10_000)}}`],
  ['a huge number as failOnErrors', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1"}}],"failOnErrors":1e400}`],
  ['a negative failOnErrors', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1"}}],"failOnErrors":-1}`],
  ['a huge number as externalId', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":123456789012345678901234567890e300}}]}`],
  ['a huge number as userName', withData(',"userName":1e999')],
  ['a 100 KB userName', withData(`,"userName":"${'a'.repeat(100 * 1024)}@contoso.com"`)],
  ['a 100 KB externalId', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"${'9'.repeat(100 * 1024)}"}}]}`],
  ['emails as an object', withData(',"emails":{"value":"a@contoso.com","type":"work"}')],
  ['emails as a string', withData(',"emails":"a@contoso.com"')],
  ['name as an array', withData(',"name":["a"]')],
  ['active as a string', withData(',"active":"yes"')],
  ['the enterprise extension as a string', withData(',"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"')],
  ['manager as a string', withData(',"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"boss"}')],
  ['userName twice in two spellings', withData(',"userName":"a@contoso.com","USERNAME":"b@contoso.com"')],
  ['Operations as an object', `{"schemas":["${BULK_URN}"],"Operations":{"method":"POST","path":"/Users","data":{"externalId":"1"}}}`],
  ['Operations empty', `{"schemas":["${BULK_URN}"],"Operations":[]}`],
  ['an operation that is null', `{"schemas":["${BULK_URN}"],"Operations":[null]}`],
  ['an operation that is a string', `{"schemas":["${BULK_URN}"],"Operations":["POST /Users"]}`],
  ['data as an array', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":[]}]}`],
  ['path /Groups', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Groups","data":{"externalId":"1"}}]}`],
  ['schemas as a string', `{"schemas":"${BULK_URN}","Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1"}}]}`],
  ['schemas without the BulkRequest URN', '{"schemas":["urn:x"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1"}}]}'],
  ['body null', 'null'],
  ['body []', '[]'],
  ['body "x"', '"x"'],
  ['body 42', '42'],
  ['body true', 'true'],
  ['body {}', '{}'],
  ['whitespace only', '   \n\t '],
  ['unicode garbage (invalid UTF-8 bytes)', Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc])],
  ['a raw control character inside a string', withData(',"displayName":"a\u0001b"')],
  ['a lone high surrogate in externalId', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"\\ud800"}}]}`],
  ['a lone low surrogate in userName', withData(',"userName":"a\\udc00@contoso.com","displayName":"x"')],
  ['a lone surrogate in displayName', withData(',"userName":"a@contoso.com","displayName":"x\\ud83dy"')],
  ['a NUL character in externalId', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1\\u0000"}}]}`],
  ['a NUL character in displayName', withData(',"userName":"a@contoso.com","displayName":"x\\u0000y"')],
  ['1,000 invalid operations', `{"schemas":["${BULK_URN}"],"Operations":[${Array.from({ length: 1000 }, () => '{"method":"GET","path":"/x","data":{"externalId":5}}').join(',')}]}`],
  ['100,000 null operations', `{"schemas":["${BULK_URN}"],"Operations":[${Array.from({ length: 100_000 }, () => 'null').join(',')}]}`]
]

t.test('hostile bulk bodies → always 4xx with the Graph error shape', async t => {
  for (const [label, payload] of HOSTILE) {
    const response = await postUpload(app, job.uploadUrl, payload, { ...auth(), 'content-type': 'application/scim+json' })
    t.ok(response.statusCode >= 400 && response.statusCode < 500, `${label}: 4xx (got ${response.statusCode} ${response.body.slice(0, 160)})`)
    if (response.statusCode >= 400) assertGraphError(t, response, response.statusCode)
  }
  t.equal(({} as any).polluted, undefined)
  t.equal((await upload(app, job, bulkRequest([scimUser('1')]))).statusCode, 202, 'the service still accepts a valid request')
})

t.test('many errors are capped, the rest counted', async t => {
  const body = `{"schemas":["${BULK_URN}"],"Operations":[${Array.from({ length: 1000 }, () => '{"method":"GET","path":"/x","data":{"externalId":5}}').join(',')}]}`
  const error = assertGraphError(t, await upload(app, job, body), 400, 'InvalidDataFormat')
  t.ok(error.details.length <= 101, `at most 100 details and a summary (got ${error.details.length})`)
  t.match(error.details[error.details.length - 1].message, /more errors not shown/)
  t.ok(error.message.length < 2000, 'the message stays short')
})

t.test('an accepted request never blocks the job: a later valid request is processed', async t => {
  // Whatever the door accepts must be processable; a request the worker cannot complete would
  // hold every later request of its job (they are processed in acceptance order).
  const cases: Array<[string, string | Buffer]> = [
    // Invalid UTF-8 inside a string decodes to U+FFFD: accepting it is fine, as long as it is processed.
    ['invalid UTF-8 inside a string', Buffer.concat([Buffer.from(withData(',"userName":"x0@contoso.com","displayName":"').slice(0, -4)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}]}')])],
    ['a lone surrogate in displayName', withData(',"userName":"x1@contoso.com","displayName":"x\\ud800y"')],
    ['a NUL character in displayName', withData(',"userName":"x2@contoso.com","displayName":"x\\u0000y"')]
  ]
  for (const [label, body] of cases) {
    const own = await createJob(app)
    const first = await postUpload(app, own.uploadUrl, body, { ...auth(), 'content-type': 'application/scim+json' })
    const second = await upload(app, own, bulkRequest([scimUser('2')]))
    t.equal(second.statusCode, 202)
    const status = await waitForRequest(app, own, String(second.headers['request-id']), 3000).catch((err: Error) => ({ state: err.message, operations: [] }))
    t.equal(status.state, 'completed', `${label}: later request completed (first answered ${first.statusCode})`)
    if (first.statusCode === 202) {
      const firstStatus = (await getStatus(app, own, String(first.headers['request-id']))).json()
      t.equal(firstStatus.state, 'completed', `${label}: the accepted request itself completed`)
    }
  }
})

t.test('NUL characters in URLs and query strings → 4xx, not 500', async t => {
  const sp = job.servicePrincipalId
  const requests: Array<[string, string, string, unknown?]> = [
    ['GET users ?employeeId=', 'GET', `/directories/${job.directoryId}/users?employeeId=a%00b`],
    ['GET users ?userPrincipalName=', 'GET', `/directories/${job.directoryId}/users?userPrincipalName=a%00b`],
    ['PATCH settings, jobId with NUL', 'PATCH', `/servicePrincipals/${sp}/synchronization/jobs/a%00b/settings`, { maxOperations: 3 }],
    ['POST start, jobId with NUL', 'POST', `/servicePrincipals/${sp}/synchronization/jobs/a%00b/start`],
    ['GET status, jobId with NUL', 'GET', `/servicePrincipals/${sp}/synchronization/jobs/a%00b/bulkUploads/0b5c0d7e-1111-4222-8333-444455556666`]
  ]
  for (const [label, method, url, payload] of requests) {
    const response = await app.inject({ method: method as 'GET', url, headers: auth(), ...(payload !== undefined ? { payload: payload as object } : {}) })
    t.ok(response.statusCode < 500, `${label}: not 5xx (got ${response.statusCode})`)
    if (response.statusCode >= 400) assertGraphError(t, response, response.statusCode)
    else t.same(response.json(), { value: [] }, `${label}: nothing matches`)
  }
  const upload = await postUpload(app, `/servicePrincipals/${sp}/synchronization/jobs/a%00b/bulkUpload`, JSON.stringify(bulkRequest([scimUser('1')])), { ...auth(), 'content-type': 'application/scim+json' })
  t.ok(upload.statusCode >= 400 && upload.statusCode < 500, `POST bulkUpload, jobId with NUL: 4xx (got ${upload.statusCode})`)
})

t.test('hostile bodies on the other JSON routes → 4xx', async t => {
  const bodies = [deepArrays(10_000), deepObjects(10_000), 'null', '[]', '"x"', '{"__proto__":{"polluted":1},"displayName":"x","kind":"entra","domains":["a.com"]}',
    '{"constructor":{"prototype":{"polluted":1}},"displayName":"x","kind":"entra","domains":["a.com"]}',
    `{"displayName":"${'x'.repeat(100 * 1024)}","kind":"entra","domains":["a.com"]}`, '{"displayName":"x","kind":"entra","domains":{"0":"a.com"}}']
  for (const payload of bodies) {
    for (const [method, url] of [['POST', '/directories'], ['PATCH', `${job.jobUrl}/settings`], ['POST', '/servicePrincipals']]) {
      const response = await app.inject({ method: method as 'POST', url, headers: { ...auth(), 'content-type': 'application/json' }, payload })
      t.ok(response.statusCode >= 400 && response.statusCode < 500, `${method} ${url.split('/')[1]} ${payload.slice(0, 30)}: 4xx (got ${response.statusCode})`)
      if (response.statusCode >= 400) assertGraphError(t, response, response.statusCode)
    }
  }
  t.equal(({} as any).polluted, undefined)
})
