import t from 'tap'
import { parse } from 'yaml'
import { auth, buildService, bulkRequest, createJob, scimUser, upload } from '../helpers/service.js'
import { UUID } from '../helpers/http.js'

const { app } = await buildService(t)

t.test('GET /health/live → 200 without a token', async t => {
  const response = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok' })
})

t.test('GET /health/ready → 200 {status: ok} with the database and the queue checked', async t => {
  const response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok', checks: { database: 'ok', queue: 'ok' } })
})

t.test('GET /openapi.yaml → 200 YAML describing the API, without a token', async t => {
  const response = await app.inject({ method: 'GET', url: '/openapi.yaml' })
  t.equal(response.statusCode, 200)
  t.match(String(response.headers['content-type']), /^application\/yaml/)
  const document = parse(response.body)
  t.equal(document.openapi, '3.1.0')
  for (const path of ['/directories', '/directories/{id}/users', '/servicePrincipals', '/servicePrincipals/{spId}/synchronization/jobs/{jobId}/bulkUpload',
    '/servicePrincipals/{spId}/synchronization/jobs/{jobId}/bulkUploads/{requestId}', '/health/ready']) {
    t.ok(document.paths?.[path] !== undefined, `documents ${path}`)
  }
})

t.test('every response carries a request-id header', async t => {
  const job = await createJob(app, { start: false })
  const responses = {
    '200 live': await app.inject({ method: 'GET', url: '/health/live' }),
    '200 openapi': await app.inject({ method: 'GET', url: '/openapi.yaml' }),
    '201 directory': await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'x', kind: 'entra', domains: ['x.com'] } }),
    '202 upload': await upload(app, job, bulkRequest([scimUser('1')])),
    '204 start': await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() }),
    '400 validation': await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: {} }),
    '400 bulk': await upload(app, job, '{}'),
    '401 no token': await app.inject({ method: 'GET', url: `/directories/${job.directoryId}` }),
    '403 role': await app.inject({ method: 'GET', url: `/directories/${job.directoryId}`, headers: auth([]) }),
    '404 route': await app.inject({ method: 'GET', url: '/no/such/route' }),
    '404 resource': await app.inject({ method: 'GET', url: '/directories/0b5c0d7e-1111-4222-8333-444455556666', headers: auth() }),
    '413 operations': await upload(app, job, bulkRequest([scimUser('1')]), { 'content-length': String(10 * 1024 * 1024) }),
    '415 media type': await upload(app, job, '{}', { 'content-type': 'text/plain' })
  }
  const seen = new Set<string>()
  for (const [label, response] of Object.entries(responses)) {
    t.equal(String(response.statusCode), label.split(' ')[0], `${label}: status`)
    const id = String(response.headers['request-id'])
    t.match(id, UUID, `${label}: request-id`)
    seen.add(id)
  }
  t.equal(seen.size, Object.keys(responses).length, 'a distinct id per request')
})

t.test('client-request-id is echoed', async t => {
  const response = await app.inject({ method: 'GET', url: '/health/live', headers: { 'client-request-id': 'abc-123' } })
  t.equal(response.headers['client-request-id'], 'abc-123')
  const notFound = await app.inject({ method: 'GET', url: '/nope', headers: { 'client-request-id': 'abc-456' } })
  t.equal(notFound.headers['client-request-id'], 'abc-456')
})
