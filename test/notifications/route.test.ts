import t from 'tap'
import { auth } from '../helpers/service.js'
import { createJob, provisioningFixture } from '../helpers/provisioning.js'

// GET …/notifications refuses what it cannot serve, Graph-shaped and never with a 500.

const { app } = await provisioningFixture(t, {}, { worker: false })
const job = await createJob(app, { start: false })
const other = await createJob(app, { start: false })
const list = async (url: string, headers: Record<string, string> = auth()): Promise<{ statusCode: number, body: any }> => {
  const response = await app.inject({ method: 'GET', url, headers })
  return { statusCode: response.statusCode, body: response.json() }
}

t.test('either synchronization role reads it', async t => {
  t.equal((await list(`${job.jobUrl}/notifications`, auth(['Synchronization.ReadWrite.All']))).statusCode, 200)
  t.strictSame((await list(`/beta${job.jobUrl}/notifications`, auth(['Synchronization.Read.All']))).body, { value: [] })
})

t.test('401 without a token, 403 without a synchronization role', async t => {
  t.equal((await list(`${job.jobUrl}/notifications`, {})).statusCode, 401)
  for (const role of ['SynchronizationData-User.Upload', 'AuditLog.Read.All']) {
    const response = await list(`${job.jobUrl}/notifications`, auth([role]))
    t.equal(response.statusCode, 403, role)
    t.equal(response.body.error.code, 'Authorization_RequestDenied')
  }
})

t.test('404 for a job that is not under that service principal', async t => {
  for (const url of [
    `/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs/API2AAD.nope/notifications`,
    `/servicePrincipals/${other.servicePrincipalId}/synchronization/jobs/${job.jobId}/notifications`,
    `/servicePrincipals/00000000-0000-4000-8000-000000000000/synchronization/jobs/${job.jobId}/notifications`
  ]) {
    const response = await list(url)
    t.equal(response.statusCode, 404, url)
    t.equal(response.body.error.code, 'ResourceNotFound')
  }
})

t.test('400 for bad paging or an unknown parameter', async t => {
  for (const query of ['$top=0', '$top=101', '$top=ten', '$top=1.5', '$skiptoken=nope', `$skiptoken=${Buffer.from('["yesterday","x"]').toString('base64url')}`, '$skiptoken=', '$filter=kind', '$skip=2']) {
    const response = await list(`${job.jobUrl}/notifications?${query}`)
    t.equal(response.statusCode, 400, query)
    t.type(response.body.error?.message, 'string', `${query}: Graph-shaped`)
  }
  t.equal((await list(`/servicePrincipals/not-a-uuid/synchronization/jobs/${job.jobId}/notifications`)).statusCode, 400, 'malformed spId')
})
