import t from 'tap'
import { DEFAULT_JOB_SETTINGS } from '../../src/jobs/settings.js'
import { auth, buildService, bulkRequest, createJob, scimUser, upload, waitForRequest } from '../helpers/service.js'
import { assertGraphError, getJobResource, getStatus, patchSettings, ROLE, sleep, UUID } from '../helpers/http.js'

const service = await buildService(t)
const { app } = service
await service.startWorker()

const JOB_ID = /^API2AAD\.[0-9a-f]{32}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

async function newDirectory (): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Contoso', kind: 'entra', domains: ['contoso.com'] } })
  return response.json().id
}

t.test('POST /servicePrincipals → 201 with the app and its job; the job is listed', async t => {
  const directoryId = await newDirectory()
  const response = await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth([ROLE.syncReadWrite]), payload: { displayName: 'Workday', templateId: 'API2AAD', directoryId, owners: ['hr-app'] } })
  t.equal(response.statusCode, 201)
  const sp = response.json()
  t.match(sp.id, UUID)
  t.match(sp.job.id, JOB_ID)
  t.equal(sp.job.id.split('.')[1], sp.id.replaceAll('-', ''), 'the 32 hex are the app id')
  t.same(sp, {
    id: sp.id,
    displayName: 'Workday',
    templateId: 'API2AAD',
    directoryId,
    owners: ['hr-app'],
    job: {
      id: sp.job.id,
      templateId: 'API2AAD',
      servicePrincipalId: sp.id,
      directoryId,
      schedule: { state: 'Disabled' },
      status: { code: 'NotRun', quarantine: null, lastExecution: null, lastSuccessfulExecution: null, steadyStateLastAchievedTime: null, synchronizedEntryCountByType: [{ key: 'User', value: 0 }] },
      settings: DEFAULT_JOB_SETTINGS
    }
  })

  for (const prefix of ['', '/v1.0', '/beta']) {
    const list = await app.inject({ method: 'GET', url: `${prefix}/servicePrincipals/${String(sp.id)}/synchronization/jobs`, headers: auth([ROLE.syncRead]) })
    t.equal(list.statusCode, 200, `${prefix || '/'}: listed`)
    t.same(list.json(), { value: [sp.job] }, `${prefix || '/'}: the one job`)
  }
})

t.test('owners default to []', async t => {
  const directoryId = await newDirectory()
  const response = await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'API2AAD', directoryId } })
  t.equal(response.statusCode, 201)
  t.same(response.json().owners, [])
})

t.test('bad bodies → 400', async t => {
  const directoryId = await newDirectory()
  let error = assertGraphError(t, await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'API2AAD', directoryId: '0b5c0d7e-1111-4222-8333-444455556666' } }), 400, 'BadRequest')
  t.match(error.message, /directoryId 0b5c0d7e-1111-4222-8333-444455556666 does not exist/)
  t.same(error.details.map((detail: any) => detail.target), ['/directoryId'])
  error = assertGraphError(t, await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'API2AAD', directoryId: 'nope' } }), 400, 'BadRequest')
  t.match(error.message, /directoryId/)
  error = assertGraphError(t, await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'SAP', directoryId } }), 400, 'BadRequest')
  t.match(error.message, /templateId/)
  error = assertGraphError(t, await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'API2AAD', directoryId, extra: true } }), 400, 'BadRequest')
  t.match(error.message, /'extra'/)
  error = assertGraphError(t, await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { templateId: 'API2AAD', directoryId } }), 400, 'BadRequest')
  t.match(error.message, /'displayName'/)
})

t.test('API2AD on an ad directory → 201; each template only on its kind of directory', async t => {
  const ad = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Contoso AD', kind: 'ad', domain: 'contoso.com', defaultOu: 'OU=Users,DC=contoso,DC=com' } })
  const adId = ad.json().id as string
  const created = await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth([ROLE.syncReadWrite]), payload: { displayName: 'Workday to AD', templateId: 'API2AD', directoryId: adId } })
  t.equal(created.statusCode, 201, created.body)
  const sp = created.json()
  t.equal(sp.templateId, 'API2AD')
  t.equal(sp.directoryId, adId)
  t.match(sp.job.id, /^API2AD\.[0-9a-f]{32}\.[0-9a-f-]{36}$/)
  t.equal(sp.job.templateId, 'API2AD')
  t.equal(sp.job.status.code, 'NotRun')

  let error = assertGraphError(t, await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'API2AAD', directoryId: adId } }), 400, 'BadRequest')
  t.equal(error.message, `templateId API2AAD provisions into entra directories, and directory ${adId} is an ad directory: use API2AD.`)
  t.same(error.details, [{ code: 'invalidValue', target: '/templateId', message: 'API2AAD does not fit an ad directory; API2AD does' }])

  const entraId = await newDirectory()
  error = assertGraphError(t, await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'API2AD', directoryId: entraId } }), 400, 'BadRequest')
  t.equal(error.message, `templateId API2AD provisions into ad directories, and directory ${entraId} is an entra directory: use API2AAD.`)
  t.same(error.details.map((detail: any) => detail.target), ['/templateId'])
})

t.test('GET …/jobs: unknown app → 404, non-uuid → 400', async t => {
  assertGraphError(t, await app.inject({ method: 'GET', url: '/servicePrincipals/0b5c0d7e-1111-4222-8333-444455556666/synchronization/jobs', headers: auth() }), 404, 'ResourceNotFound')
  assertGraphError(t, await app.inject({ method: 'GET', url: '/servicePrincipals/nope/synchronization/jobs', headers: auth() }), 400, 'BadRequest')
})

t.test('PATCH …/settings', async t => {
  const job = await createJob(app, { start: false })
  const saved = await patchSettings(app, job, { notificationEmail: 'hr-ops@contoso.com' })
  t.equal(saved.statusCode, 204)
  t.equal(saved.body, '')
  t.same((await getJobResource(app, job)).settings, { ...DEFAULT_JOB_SETTINGS, notificationEmail: 'hr-ops@contoso.com' })

  t.equal((await patchSettings(app, job, { maxOperations: 7, maxPayloadBytes: 4096 })).statusCode, 204)
  t.same((await getJobResource(app, job)).settings, { ...DEFAULT_JOB_SETTINGS, notificationEmail: 'hr-ops@contoso.com', maxOperations: 7, maxPayloadBytes: 4096 }, 'only the settings sent change')
  t.equal((await patchSettings(app, job, { notificationEmail: null })).statusCode, 204)
  t.equal((await getJobResource(app, job)).settings.notificationEmail, null, 'null clears the email')

  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ notificationEmail: 'not-an-email' }, /notificationEmail/],
    [{ color: 'red' }, /'color'/],
    [{}, /fewer than 1 properties|minProperties|must NOT have fewer/],
    [{ maxOperations: 0 }, /maxOperations/],
    [{ maxOperations: 10001 }, /maxOperations/],
    [{ maxOperations: 2.5 }, /maxOperations/],
    [{ maxPayloadBytes: 100 }, /maxPayloadBytes/]
  ]
  for (const [body, message] of bad) {
    const error = assertGraphError(t, await patchSettings(app, job, body), 400, 'BadRequest')
    t.match(error.message, message, JSON.stringify(body))
  }
  t.same((await getJobResource(app, job)).settings, { ...DEFAULT_JOB_SETTINGS, maxOperations: 7, maxPayloadBytes: 4096 }, 'refused patches changed nothing')

  const unknownJob = { ...job, jobUrl: `/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs/API2AAD.00000000000000000000000000000000.00000000-0000-4000-8000-000000000000` }
  assertGraphError(t, await patchSettings(app, unknownJob, { maxOperations: 3 }), 404, 'ResourceNotFound')
})

t.test('start and pause → 204, reflected in the job status', async t => {
  const job = await createJob(app, { start: false })
  for (const [action, code, state] of [['start', 'Active', 'Active'], ['pause', 'Paused', 'Paused'], ['start', 'Active', 'Active']]) {
    const response = await app.inject({ method: 'POST', url: `${job.jobUrl}/${action}`, headers: auth([ROLE.syncReadWrite]) })
    t.equal(response.statusCode, 204, action)
    t.equal(response.body, '')
    const resource = await getJobResource(app, job)
    t.same([resource.status.code, resource.status.quarantine, resource.schedule], [code, null, { state }], `${action} → ${code}`)
  }
  assertGraphError(t, await app.inject({ method: 'POST', url: `/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs/nope/start`, headers: auth() }), 404, 'ResourceNotFound')
  assertGraphError(t, await app.inject({ method: 'POST', url: `/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs/nope/pause`, headers: auth() }), 404, 'ResourceNotFound')
})

t.test('a job processes only while started', async t => {
  const job = await createJob(app, { start: false })
  const first = await upload(app, job, bulkRequest([scimUser('100')]))
  t.equal(first.statusCode, 202, 'accepted while not started')
  const firstId = String(first.headers['request-id'])
  await sleep(1000)
  let status = (await getStatus(app, job, firstId)).json()
  t.equal(status.state, 'queued', 'not processed before the job is started')
  t.same(status.operations.map((op: any) => op.status), ['pending'])

  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  status = await waitForRequest(app, job, firstId, 5000)
  t.same(status.operations.map((op: any) => [op.externalId, op.action, op.status]), [['100', 'create', 'success']], 'processed once started')

  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/pause`, headers: auth() })).statusCode, 204)
  const second = await upload(app, job, bulkRequest([scimUser('101')]))
  t.equal(second.statusCode, 202, 'accepted while paused')
  const secondId = String(second.headers['request-id'])
  await sleep(1000)
  t.equal((await getStatus(app, job, secondId)).json().state, 'queued', 'waits while paused')

  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  status = await waitForRequest(app, job, secondId, 5000)
  t.same(status.operations.map((op: any) => [op.externalId, op.action, op.status]), [['101', 'create', 'success']], 'processed once started again')
})
