import t from 'tap'
import { auth, buildService, bulkRequest, createJob, scimUser, upload } from '../helpers/service.js'
import { assertGraphError, bearer, BULK_URN, bulkOf, ENTERPRISE_URN, getStatus, pathOf, postUpload, ROLE, signClaims, tinyOperation, UUID } from '../helpers/http.js'

const { app } = await buildService(t)
const job = await createJob(app, { owners: ['hr-app'], start: false })
const otherJob = await createJob(app, { start: false })
const valid = JSON.stringify(bulkRequest([scimUser('1'), scimUser('2')]))

t.test('a valid request → 202, empty body, Location to its status resource, request-id', async t => {
  for (const prefix of ['', '/v1.0', '/beta']) {
    const response = await postUpload(app, `${prefix}${job.uploadUrl}`, valid, { ...auth([ROLE.upload]), 'content-type': 'application/scim+json' })
    t.equal(response.statusCode, 202, `${prefix || '/'}: 202`)
    t.equal(response.body, '', 'empty body')
    const requestId = String(response.headers['request-id'])
    t.match(requestId, UUID)
    const location = new URL(String(response.headers.location))
    t.equal(location.pathname, `${prefix}${job.jobUrl}/bulkUploads/${requestId}`, 'Location keeps the prefix and names the request-id')
    const status = await app.inject({ method: 'GET', url: pathOf(location.href), headers: auth([ROLE.upload]) })
    t.equal(status.statusCode, 200, 'Location resolves')
    t.equal(status.json().id, requestId)
    t.equal(status.json().state, 'queued')
  }
})

t.test('accepted media types', async t => {
  for (const contentType of ['application/scim+json', 'application/json', 'application/scim+json; charset=utf-8', 'application/json; charset=utf-8', 'Application/SCIM+JSON']) {
    const response = await postUpload(app, job.uploadUrl, valid, { ...auth(), 'content-type': contentType })
    t.equal(response.statusCode, 202, contentType)
  }
})

t.test('other media types → 415', async t => {
  for (const contentType of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const error = assertGraphError(t, await postUpload(app, job.uploadUrl, valid, { ...auth(), 'content-type': contentType }), 415, 'UnsupportedMediaType')
    t.match(error.message, /application\/scim\+json/, `${contentType}: says what to send`)
  }
  const error = assertGraphError(t, await postUpload(app, job.uploadUrl, valid, auth()), 415, 'UnsupportedMediaType')
  t.match(error.message, /missing/, 'missing Content-Type')
})

t.test('roles: Upload reaches any job; Upload.OwnedBy only jobs it owns; others → 403', async t => {
  const owner = bearer(signClaims({ roles: [ROLE.uploadOwnedBy], azp: 'hr-app' }))
  const stranger = bearer(signClaims({ roles: [ROLE.uploadOwnedBy], azp: 'payroll-app' }))
  const ct = { 'content-type': 'application/scim+json' }
  t.equal((await postUpload(app, job.uploadUrl, valid, { ...auth([ROLE.upload], 'anyone'), ...ct })).statusCode, 202, 'Upload, any client')
  t.equal((await postUpload(app, otherJob.uploadUrl, valid, { ...auth([ROLE.upload], 'anyone'), ...ct })).statusCode, 202, 'Upload, a job with no owners')
  t.equal((await postUpload(app, job.uploadUrl, valid, { ...owner, ...ct })).statusCode, 202, 'OwnedBy, owner')
  let error = assertGraphError(t, await postUpload(app, job.uploadUrl, valid, { ...stranger, ...ct }), 403, 'Authorization_RequestDenied')
  t.match(error.message, /payroll-app/)
  error = assertGraphError(t, await postUpload(app, otherJob.uploadUrl, valid, { ...owner, ...ct }), 403, 'Authorization_RequestDenied')
  t.match(error.message, /not an owner/)
  error = assertGraphError(t, await postUpload(app, job.uploadUrl, valid, { ...auth([ROLE.syncReadWrite, ROLE.directoryReadWrite]), ...ct }), 403, 'Authorization_RequestDenied')
  t.match(error.message, /SynchronizationData-User\.Upload/)
  assertGraphError(t, await postUpload(app, job.uploadUrl, valid, ct), 401, 'InvalidAuthenticationToken')
})

t.test('unknown job or app → 404', async t => {
  const base = `/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs`
  let error = assertGraphError(t, await postUpload(app, `${base}/API2AAD.00000000000000000000000000000000.00000000-0000-4000-8000-000000000000/bulkUpload`, valid, { ...auth(), 'content-type': 'application/scim+json' }), 404, 'ResourceNotFound')
  t.match(error.message, /API2AAD\.0{32}/)
  error = assertGraphError(t, await postUpload(app, `/servicePrincipals/0b5c0d7e-1111-4222-8333-444455556666/synchronization/jobs/${job.jobId}/bulkUpload`, valid, { ...auth(), 'content-type': 'application/scim+json' }), 404, 'ResourceNotFound')
  // The job exists, but under another app.
  assertGraphError(t, await postUpload(app, `/servicePrincipals/${otherJob.servicePrincipalId}/synchronization/jobs/${job.jobId}/bulkUpload`, valid, { ...auth(), 'content-type': 'application/scim+json' }), 404, 'ResourceNotFound')
  assertGraphError(t, await postUpload(app, `/v1.0/servicePrincipals/0b5c0d7e-1111-4222-8333-444455556666/synchronization/jobs/${job.jobId}/bulkUpload`, valid, { ...auth(), 'content-type': 'application/scim+json' }), 404, 'ResourceNotFound')
})

t.test('a non-uuid app id in the upload URL → 4xx, not 500', async t => {
  // The params schema declares spId a uuid; the job lookup must not reach PostgreSQL with it.
  const response = await postUpload(app, `/servicePrincipals/not-a-uuid/synchronization/jobs/${job.jobId}/bulkUpload`, valid, { ...auth(), 'content-type': 'application/scim+json' })
  t.ok([400, 404].includes(response.statusCode), `400 or 404 (got ${response.statusCode}: ${response.body})`)
  t.not(response.statusCode, 500)
})

t.test('two bad operations → 400 naming each by index, bulkId and JSON pointer', async t => {
  const body = bulkRequest([scimUser('1'), scimUser('2'), scimUser('3'), scimUser('4')]) as any
  body.Operations[1].method = 'PATCH'
  delete body.Operations[3].data.externalId
  const error = assertGraphError(t, await upload(app, job, body), 400, 'InvalidDataFormat')
  t.same(error.details.map((d: any) => [d.index, d.bulkId, d.target]), [
    [1, 'op1', '/Operations/1/method'],
    [3, 'op3', '/Operations/3/data/externalId']
  ])
  t.match(error.message, /\/Operations\/1\/method/)
  t.match(error.message, /\/Operations\/3\/data\/externalId/)
  t.match(error.details[0].message, /POST or DELETE/)
})

t.test('pointers keep the spelling the client used', async t => {
  const error = assertGraphError(t, await upload(app, job, { schemas: [BULK_URN], operations: [{ Method: 'post', path: '/users', DATA: { externalId: 7 } }] }), 400, 'InvalidDataFormat')
  t.same(error.details.map((d: any) => [d.index, d.target]), [[0, '/operations/0/DATA/externalId']])
})

t.test('non-JSON bodies → 400', async t => {
  for (const payload of ['not json', '{"schemas": [', '', '{"a":1}{"b":2}']) {
    const error = assertGraphError(t, await postUpload(app, job.uploadUrl, payload, { ...auth(), 'content-type': 'application/scim+json' }), 400, 'InvalidDataFormat')
    t.match(error.message, /not valid JSON/, JSON.stringify(payload))
    t.same(error.details.map((d: any) => [d.code, d.target]), [['invalidSyntax', '']])
  }
})

t.test("the Postman 'Send non-SCIM data (failure)' body → 400 naming schemas and Operations", async t => {
  const error = assertGraphError(t, await upload(app, job, '{"name":"John Doe"}'), 400, 'InvalidDataFormat')
  t.same(error.details.map((d: any) => d.target).sort(), ['/Operations', '/schemas'])
})

t.test('prototype-polluting keys → 400, and nothing is polluted', async t => {
  const cases = [
    `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1","__proto__":{"polluted":"yes"}}}]}`,
    `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1","constructor":{"prototype":{"polluted":"yes"}}}}]}`,
    `{"__proto__":{"polluted":"yes"},"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1"}}]}`,
    `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1","${ENTERPRISE_URN}":{"__PROTO__":{"polluted":"yes"}}}}]}`,
    `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","path":"/Users","data":{"externalId":"1","name":{"prototype":{"polluted":"yes"}}}}]}`
  ]
  for (const payload of cases) {
    const error = assertGraphError(t, await upload(app, job, payload), 400, 'InvalidDataFormat')
    t.match(error.message, /is not allowed as an attribute name/)
  }
  t.equal(({} as any).polluted, undefined, 'Object.prototype is untouched')
  t.equal((Object.prototype as any).polluted, undefined)
})

t.test('duplicate bulkIds: refused only when a bulkId: reference makes them ambiguous', async t => {
  const ops = [tinyOperation('1', 'dup'), tinyOperation('2', 'dup')]
  t.equal((await upload(app, job, bulkOf(ops))).statusCode, 202, 'unreferenced duplicates are accepted')

  const referencing = { method: 'POST', bulkId: 'r', path: '/Users', data: { externalId: '3', [ENTERPRISE_URN]: { manager: { value: 'bulkId:dup' } } } }
  let error = assertGraphError(t, await upload(app, job, bulkOf([...ops, referencing])), 400, 'InvalidDataFormat')
  t.same(error.details.map((d: any) => [d.index, d.bulkId, d.target]), [[2, 'r', `/Operations/2/data/${ENTERPRISE_URN}/manager/value`]])
  t.match(error.details[0].message, /"dup".*0, 1/)

  const dangling = { ...referencing, data: { ...referencing.data, [ENTERPRISE_URN]: { manager: { value: 'bulkId:missing' } } } }
  error = assertGraphError(t, await upload(app, job, bulkOf([tinyOperation('1', 'a'), dangling])), 400, 'InvalidDataFormat')
  t.match(error.details[0].message, /no operation in this request has that bulkId/)

  const unique = { ...referencing, data: { ...referencing.data, [ENTERPRISE_URN]: { manager: { value: 'bulkId:a' } } } }
  t.equal((await upload(app, job, bulkOf([tinyOperation('1', 'a'), unique]))).statusCode, 202, 'a reference to a unique bulkId is accepted')
})

t.test('externalId must be a non-empty string', async t => {
  for (const externalId of [123, null, true, { id: '1' }, ['1'], '']) {
    const error = assertGraphError(t, await upload(app, job, bulkOf([{ method: 'POST', bulkId: 'b', path: '/Users', data: { externalId } }])), 400, 'InvalidDataFormat')
    t.same(error.details.map((d: any) => [d.index, d.bulkId, d.target]), [[0, 'b', '/Operations/0/data/externalId']], JSON.stringify(externalId))
  }
})

t.test('the status resource of an upload is readable by the uploader', async t => {
  const response = await upload(app, job, valid, bearer(signClaims({ roles: [ROLE.uploadOwnedBy], azp: 'hr-app' })))
  t.equal(response.statusCode, 202)
  const status = await getStatus(app, job, String(response.headers['request-id']), bearer(signClaims({ roles: [ROLE.uploadOwnedBy], azp: 'hr-app' })))
  t.equal(status.statusCode, 200)
})
