import t from 'tap'
import { auth, buildService, bulkRequest, createJob, findUser, provision, scimUser, upload, waitForRequest } from '../helpers/service.js'
import { assertGraphError, bearer, bulkOf, ENTERPRISE_URN, getStatus, ISO_DATE, ROLE, signClaims, UUID } from '../helpers/http.js'

const service = await buildService(t)
const { app } = service
await service.startWorker()

const OPERATION_KEYS = ['action', 'bulkId', 'errorCode', 'externalId', 'index', 'logId', 'method', 'reason', 'status', 'targetId']

t.test('a queued request: state queued, every operation pending', async t => {
  const job = await createJob(app, { start: false })
  const body = bulkOf([
    { method: 'POST', bulkId: 'a', path: '/Users', data: scimUser('1') },
    { method: 'delete', path: '/users', data: { externalId: '2' } }
  ])
  const accepted = await upload(app, job, body)
  t.equal(accepted.statusCode, 202)
  const requestId = String(accepted.headers['request-id'])
  const response = await getStatus(app, job, requestId)
  t.equal(response.statusCode, 200)
  const status = response.json()
  t.equal(status.id, requestId)
  t.equal(status.state, 'queued')
  t.match(status.receivedDateTime, ISO_DATE)
  t.equal(status.completedDateTime, null)
  t.same(status.operations, [
    { index: 0, bulkId: 'a', method: 'POST', externalId: '1', action: null, status: 'pending', errorCode: null, reason: null, targetId: null, logId: null },
    { index: 1, bulkId: null, method: 'DELETE', externalId: '2', action: null, status: 'pending', errorCode: null, reason: null, targetId: null, logId: null }
  ])
  t.same((await getStatus(app, job, requestId)).json(), status, 'read again while it waits: the same')

  // Once processed, each operation keeps its identity and gains its outcome.
  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  const completed = await waitForRequest(app, job, requestId)
  t.match(completed.operations, [
    { index: 0, bulkId: 'a', method: 'POST', externalId: '1', action: 'create', status: 'success', targetId: UUID, logId: UUID },
    { index: 1, bulkId: null, method: 'DELETE', externalId: '2', action: 'delete', status: 'skipped', logId: UUID }
  ])
  t.equal(completed.operations.length, 2)
})

t.test('a completed request: per operation action, status, error and target', async t => {
  const job = await createJob(app)
  const body = bulkRequest([
    scimUser('10'),
    scimUser('11', { userName: 'someone@fabrikam.com' }),
    scimUser('12', { userName: 'user10@contoso.com' })
  ])
  const status = await provision(app, job, body)
  t.equal(status.state, 'completed')
  t.match(status.completedDateTime, ISO_DATE)
  t.ok(Date.parse(status.completedDateTime) >= Date.parse(status.receivedDateTime), 'completed after received')
  t.same(status.operations.map((op: any) => Object.keys(op).sort()), [OPERATION_KEYS, OPERATION_KEYS, OPERATION_KEYS])
  const [created, badDomain, conflict] = status.operations
  t.match(created, { index: 0, bulkId: 'op0', method: 'POST', externalId: '10', action: 'create', status: 'success', errorCode: null, reason: null, targetId: UUID })
  const user = await findUser(app, job, '10')
  t.equal(created.targetId, user.id, 'targetId is the created user')
  t.match(badDomain, { index: 1, externalId: '11', action: 'create', status: 'failure', errorCode: 'InvalidDomain', reason: /fabrikam\.com/, targetId: null })
  t.match(conflict, { index: 2, externalId: '12', status: 'failure', errorCode: 'EntryConflict', reason: /user10@contoso\.com/ })

  // The same request again changes nothing: skipped, with the target.
  const again = await provision(app, job, bulkRequest([scimUser('10')]))
  t.match(again.operations[0], { externalId: '10', action: 'other', status: 'skipped', targetId: user.id })
  // A DELETE of an unknown user is skipped; of a known one soft-deletes it.
  const deleted = await provision(app, job, bulkRequest([{ externalId: '10' }, { externalId: 'nobody' }], 'DELETE'))
  t.match(deleted.operations, [{ externalId: '10', method: 'DELETE', action: 'delete', status: 'success', targetId: user.id }, { externalId: 'nobody', action: 'delete', status: 'skipped' }])
})

t.test('a bulkId: manager reference links the manager sent in the same request', async t => {
  const job = await createJob(app)
  const status = await provision(app, job, bulkOf([
    { method: 'POST', bulkId: 'report', path: '/Users', data: { ...scimUser('20'), [ENTERPRISE_URN]: { manager: { value: 'bulkId:boss' } } } },
    { method: 'POST', bulkId: 'boss', path: '/Users', data: scimUser('21') }
  ]))
  t.same(status.operations.map((op: any) => [op.externalId, op.status]), [['20', 'success'], ['21', 'success']])
  const report = await findUser(app, job, '20')
  const boss = await findUser(app, job, '21')
  t.same(report.manager, { id: boss.id })
})

t.test('unknown request, another job\'s request, non-uuid id → 404 / 404 / 400', async t => {
  const job = await createJob(app, { start: false })
  const other = await createJob(app, { start: false })
  const accepted = await upload(app, job, bulkRequest([scimUser('1')]))
  const requestId = String(accepted.headers['request-id'])
  let error = assertGraphError(t, await getStatus(app, job, '0b5c0d7e-1111-4222-8333-444455556666'), 404, 'ResourceNotFound')
  t.match(error.message, /0b5c0d7e-1111-4222-8333-444455556666/)
  assertGraphError(t, await getStatus(app, other, requestId), 404, 'ResourceNotFound')
  // the job itself, addressed through the other app
  assertGraphError(t, await app.inject({ method: 'GET', url: `/servicePrincipals/${other.servicePrincipalId}/synchronization/jobs/${job.jobId}/bulkUploads/${requestId}`, headers: auth() }), 404, 'ResourceNotFound')
  error = assertGraphError(t, await getStatus(app, job, 'not-a-uuid'), 400, 'BadRequest')
  t.ok(error.details.some((d: any) => d.target === 'params/requestId'))
  for (const prefix of ['/v1.0', '/beta']) {
    const response = await app.inject({ method: 'GET', url: `${prefix}${job.jobUrl}/bulkUploads/${requestId}`, headers: auth() })
    t.equal(response.statusCode, 200, `${prefix}: readable`)
  }
})

t.test('who may read a status resource', async t => {
  const job = await createJob(app, { start: false, owners: ['hr-app'] })
  const requestId = String((await upload(app, job, bulkRequest([scimUser('1')]))).headers['request-id'])
  const read = async (headers: Record<string, string>): Promise<number> => (await getStatus(app, job, requestId, headers)).statusCode
  t.equal(await read(auth([ROLE.upload])), 200, 'Upload')
  t.equal(await read(bearer(signClaims({ roles: [ROLE.uploadOwnedBy], azp: 'hr-app' }))), 200, 'Upload.OwnedBy, owner')
  t.equal(await read(auth([ROLE.syncRead])), 200, 'Synchronization.Read.All')
  t.equal(await read(auth([ROLE.provisioningLogRead])), 200, 'ProvisioningLog.Read.All')
  assertGraphError(t, await getStatus(app, job, requestId, bearer(signClaims({ roles: [ROLE.uploadOwnedBy], azp: 'someone-else' }))), 403, 'Authorization_RequestDenied')
  assertGraphError(t, await getStatus(app, job, requestId, auth([ROLE.directoryReadWrite])), 403, 'Authorization_RequestDenied')
  assertGraphError(t, await getStatus(app, job, requestId, {}), 401, 'InvalidAuthenticationToken')
})

t.test('a body with a UTF-8 byte order mark is accepted, readable and processed', async t => {
  // parseJson strips a leading BOM at the door, so such a body is accepted (202); the stored
  // payload keeps it. Its status resource and its processing must cope with it too.
  const job = await createJob(app)
  const accepted = await upload(app, job, '\ufeff' + JSON.stringify(bulkRequest([scimUser('30')])))
  t.equal(accepted.statusCode, 202)
  const requestId = String(accepted.headers['request-id'])
  const response = await getStatus(app, job, requestId)
  t.equal(response.statusCode, 200, `status resource readable (got ${response.statusCode}: ${response.body.slice(0, 200)})`)
  const status = await waitForRequest(app, job, requestId, 4000).catch((err: Error) => ({ state: err.message }))
  t.equal(status.state, 'completed', 'processed')
})
