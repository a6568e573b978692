import t, { type Test } from 'tap'
import type { AddressInfo } from 'node:net'
import newman, { type NewmanRunSummary } from 'newman'
import { buildService, createJob, token, waitForRequest } from '../helpers/service.js'
import { ACCESS_TOKEN_VARIABLE, collectionForThisService, GRAPH_BASE_URL_VARIABLE, POSTMAN_ENVIRONMENT_FILE } from '../helpers/postman-collection.js'

/**
 * Microsoft's Postman collection for API-driven inbound provisioning, run by newman against
 * this service listening on a local port: its upload, then its three log queries, pointed at
 * us by the collection's own environment (Test-API2AAD) and variables — bulk_upload_endpoint
 * and jobId of a job made here, a locally minted token — instead of Graph and Entra's sign-in
 * (see collectionForThisService). Its fifth request, the upload of non-SCIM data Microsoft
 * marks as failing, runs on its own and must fail as Graph fails it.
 */
const UPLOAD = 'SCIM bulk request upload'
const LOG_QUERIES = ['Get all provisioning log records', 'Check provisioning logs for failures after certain time', 'Check provisioning logs for a specific user by id']
const FAILING_UPLOAD = 'Send non-SCIM data (failure)'
/** The externalIds of the collection's three users. */
const COLLECTION_USERS = ['521193', '521194', '521195']

interface Execution { name: string, code: number, body: string, header: (name: string) => string | undefined }

t.test("the Postman collection's upload and log queries run green with newman", async t => {
  const service = await buildService(t)
  await service.startWorker()
  const job = await createJob(service.app)
  await service.app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`
  const variables = {
    bulk_upload_endpoint: `${base}${job.uploadUrl}`,
    jobId: job.jobId,
    [GRAPH_BASE_URL_VARIABLE]: base,
    [ACCESS_TOKEN_VARIABLE]: token(['SynchronizationData-User.Upload', 'ProvisioningLog.Read.All'], 'postman-client')
  }

  const [upload] = await runGreen(t, await run([UPLOAD], variables), [UPLOAD])
  const requestId = upload!.header('request-id')!
  t.equal(upload!.header('location'), `${base}${job.jobUrl}/bulkUploads/${requestId}`, 'Location names the status resource')
  // The queries are meant to find what the upload did, so they run once it is applied.
  await waitForRequest(service.app, job, requestId)

  const [all, failures, byUser] = await runGreen(t, await run(LOG_QUERIES, variables), LOG_QUERIES)
  const entries = (execution: Execution): any[] => JSON.parse(execution.body).value
  t.same(entries(all!).map(entry => entry.sourceIdentity.id).sort(), COLLECTION_USERS, 'every operation of the upload is in the log')
  t.ok(entries(all!).every(entry => entry.jobId === job.jobId), 'of this job only')
  // The collection's userNames have no domain, so none can become a userPrincipalName.
  t.same(entries(failures!).map(entry => [entry.sourceIdentity.id, entry.statusInfo.status]).sort(), COLLECTION_USERS.map(id => [id, 'failure']))
  t.same(entries(byUser!), [], "701984 is not one of the collection's users")

  const [refused] = executions(await run([FAILING_UPLOAD], variables))
  t.equal(refused?.name, FAILING_UPLOAD)
  t.equal(refused?.code, 400, 'the non-SCIM upload is refused')
  t.equal(JSON.parse(refused?.body ?? '{}').error?.code, 'InvalidDataFormat')
})

async function run (requests: string[], variables: Record<string, string>): Promise<NewmanRunSummary> {
  return await new Promise((resolve, reject) => {
    newman.run({
      collection: collectionForThisService(),
      environment: POSTMAN_ENVIRONMENT_FILE,
      envVar: Object.entries(variables).map(([key, value]) => ({ key, value })),
      folder: requests,
      timeoutRequest: 10_000
    }, (err, summary) => err === null ? resolve(summary) : reject(err))
  })
}

/** Asserts newman's summary: no failures, the requests named and nothing else, each answered 2xx. */
async function runGreen (t: Test, summary: NewmanRunSummary, names: string[]): Promise<Execution[]> {
  t.equal(summary.error, undefined, 'the run completed')
  t.same(summary.run.failures.map(failure => failure.error.message), [], 'no failures')
  t.equal(summary.run.stats.requests.total, names.length, `${names.length} request(s) sent`)
  t.equal(summary.run.stats.requests.failed, 0, 'none failed')
  const done = executions(summary)
  t.same(done.map(execution => execution.name), names, 'the requests asked for, in the collection\'s order')
  for (const execution of done) t.ok(execution.code >= 200 && execution.code < 300, `${execution.name}: ${execution.code}`, { body: execution.body.slice(0, 500) })
  return done
}

function executions (summary: NewmanRunSummary): Execution[] {
  return summary.run.executions.map(execution => ({
    name: execution.item.name,
    code: execution.response?.code ?? 0,
    body: execution.response?.stream?.toString('utf8') ?? '',
    header: (name: string) => execution.response?.headers.get(name) ?? undefined
  }))
}
