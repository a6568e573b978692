import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { auth, buildService, bulkRequest, createJob, scimUser, upload } from '../helpers/service.js'
import { assertGraphError, bulkOf, patchSettings, tinyOperation } from '../helpers/http.js'

const { app } = await buildService(t)

t.test('more operations than the job allows (maxOperations: 2) → 413 naming the limit', async t => {
  const job = await createJob(app, { start: false })
  t.equal((await patchSettings(app, job, { maxOperations: 2 })).statusCode, 204)
  const error = assertGraphError(t, await upload(app, job, bulkRequest([scimUser('1'), scimUser('2'), scimUser('3')])), 413, 'RequestEntityTooLarge')
  t.match(error.message, /3 operations/)
  t.match(error.message, /at most 2\b/)
  t.match(error.message, /maxOperations/)
  t.same(error.details.map((d: any) => [d.code, d.target, d.limit]), [['tooManyOperations', '/Operations', 2]])
  t.equal((await upload(app, job, bulkRequest([scimUser('1'), scimUser('2')]))).statusCode, 202, 'exactly the limit is accepted')
})

t.test('the default limit is 1,000 operations', async t => {
  const job = await createJob(app, { start: false })
  const operations = Array.from({ length: 1001 }, (_, i) => tinyOperation(String(i)))
  const error = assertGraphError(t, await upload(app, job, bulkOf(operations)), 413, 'RequestEntityTooLarge')
  t.match(error.message, /1001 operations/)
  t.match(error.message, /at most 1000\b/)
  t.equal(error.details[0]?.limit, 1000)
  t.equal((await upload(app, job, bulkOf(operations.slice(0, 1000)))).statusCode, 202, '1,000 is accepted')
})

t.test('the operation count is checked whatever the spelling of Operations', async t => {
  const job = await createJob(app, { start: false })
  t.equal((await patchSettings(app, job, { maxOperations: 2 })).statusCode, 204)
  const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], operations: [tinyOperation('1'), tinyOperation('2'), tinyOperation('3')] }
  assertGraphError(t, await upload(app, job, body), 413, 'RequestEntityTooLarge')
})

t.test('more bytes than the job allows (maxPayloadBytes: 2048) → 413 naming the limit', async t => {
  const job = await createJob(app, { start: false })
  t.equal((await patchSettings(app, job, { maxPayloadBytes: 2048 })).statusCode, 204)
  const big = JSON.stringify(bulkRequest(Array.from({ length: 40 }, (_, i) => scimUser(String(i)))))
  t.ok(big.length > 9000 && big.length < 12000, `a ~10 KB body (${big.length} bytes)`)
  const error = assertGraphError(t, await upload(app, job, big), 413, 'RequestEntityTooLarge')
  t.match(error.message, /2048 bytes/)
  t.match(error.message, /maxPayloadBytes/)
  t.same(error.details.map((d: any) => [d.code, d.limit]), [['payloadTooLarge', 2048]])

  const small = JSON.stringify(bulkRequest([scimUser('1')]))
  t.ok(small.length < 2048)
  t.equal((await upload(app, job, small)).statusCode, 202, 'a body under the limit is accepted')

  const declared = await upload(app, job, small, { 'content-length': '100000' })
  const declaredError = assertGraphError(t, declared, 413, 'RequestEntityTooLarge')
  t.match(declaredError.message, /2048 bytes/, 'a body declared larger by Content-Length is refused before it is read')
})

t.test('a chunked body (no Content-Length) over the limit → 413 while reading', async t => {
  const job = await createJob(app, { start: false })
  t.equal((await patchSettings(app, job, { maxPayloadBytes: 2048 })).statusCode, 204)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const big = JSON.stringify(bulkRequest(Array.from({ length: 40 }, (_, i) => scimUser(String(i)))))
  const result = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: job.uploadUrl, headers: { ...auth(), 'content-type': 'application/scim+json', 'transfer-encoding': 'chunked' } }, response => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', chunk => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
    request.write(big.slice(0, 1000))
    request.write(big.slice(1000))
    request.end()
  })
  t.equal(result.status, 413)
  t.match(JSON.parse(result.body), { error: { code: 'RequestEntityTooLarge', message: /2048 bytes/ } })
})

t.test('the default byte limit is 5 MiB, above Fastify\'s 1 MiB default', async t => {
  const job = await createJob(app, { start: false })
  const blob = 'x'.repeat(2000)
  const twoMegabytes = JSON.stringify(bulkRequest(Array.from({ length: 1000 }, (_, i) => scimUser(String(i), { 'urn:example:hr:1.0:User': { blob } }))))
  t.ok(twoMegabytes.length > 2 * 1024 * 1024)
  t.equal((await upload(app, job, twoMegabytes)).statusCode, 202, 'a 2 MB body is accepted')
  const sixMegabytes = 'x'.repeat(6 * 1024 * 1024)
  const error = assertGraphError(t, await upload(app, job, sixMegabytes), 413, 'RequestEntityTooLarge')
  t.match(error.message, /5242880 bytes/)
})
