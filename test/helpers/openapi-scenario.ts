import type { FastifyInstance } from 'fastify'
import type { OpenapiExerciser } from './openapi-exerciser.js'
import { bulkRequest, scimUser, waitForRequest, type ProvisioningJob } from './service.js'

/**
 * One case per documented response of every route, in an order that builds what the next
 * needs: directories and OUs, apps and their jobs, uploads the worker applies, then reads of
 * what they did. Each success also has its refusals derived by OpenapiExerciser, so a new
 * route needs a success case here (and cases for the errors only it can give).
 */
export interface ScenarioApps {
  app: FastifyInstance
  /** RATE_LIMIT 1/s and METRICS_TOKEN set, on the same database. */
  throttled: FastifyInstance
  metricsToken: string
  /** No database reachable. */
  unreachable: FastifyInstance
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const CSV_EXTENSION = 'urn:ietf:params:scim:schemas:extension:csv:1.0:User'

export async function exerciseEveryRoute (x: OpenapiExerciser, apps: ScenarioApps): Promise<void> {
  await operationsRoutes(x, apps)
  const directories = await directoryRoutes(x)
  const job = await jobRoutes(x, directories.entra)
  await uploadRoutes(x, apps, job)
  await adRoutes(x, apps, directories)
  await readBackRoutes(x, directories.entra, job)
  await logRoutes(x, job)
}

async function operationsRoutes (x: OpenapiExerciser, apps: ScenarioApps): Promise<void> {
  await x.send('liveness', { method: 'GET', url: '/health/live', anonymous: true }, 200)
  await x.send('readiness', { method: 'GET', url: '/health/ready', anonymous: true }, 200)
  await x.send('readiness without a database', { method: 'GET', url: '/health/ready', anonymous: true }, 503, { app: apps.unreachable })
  await x.send('the OpenAPI document', { method: 'GET', url: '/openapi.yaml', anonymous: true }, 200)
  await x.send('metrics', { method: 'GET', url: '/metrics', anonymous: true }, 200)
  await x.send('metrics without METRICS_TOKEN', { method: 'GET', url: '/metrics', anonymous: true }, 401, { app: apps.throttled })
  await x.send('metrics with METRICS_TOKEN', { method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${apps.metricsToken}` } }, 200, { app: apps.throttled })
}

async function directoryRoutes (x: OpenapiExerciser): Promise<{ entra: string, ad: string }> {
  const entra = (await x.send('create an entra directory', { method: 'POST', url: '/directories', payload: { displayName: 'Contoso', kind: 'entra', domains: ['contoso.com'] } }, 201)).json().id as string
  await x.send('create a directory without its domains', { method: 'POST', url: '/directories', payload: { displayName: 'Contoso', kind: 'entra' } }, 400)
  await x.send('read a directory', { method: 'GET', url: `/directories/${entra}` }, 200)
  const ad = (await x.send('create an ad directory', { method: 'POST', url: '/directories', payload: { displayName: 'Fabrikam AD', kind: 'ad', domain: 'fabrikam.com', defaultOu: 'OU=Users,DC=fabrikam,DC=com' } }, 201)).json().id as string

  const ous = `/directories/${ad}/organizationalUnits`
  const users = (await x.send('create an OU', { method: 'POST', url: ous, payload: { distinguishedName: 'OU=Users,DC=fabrikam,DC=com' } }, 201)).json().id as string
  await x.send('create an OU that exists', { method: 'POST', url: ous, payload: { distinguishedName: 'ou=users,dc=fabrikam,dc=com' } }, 409)
  await x.send('create an OU under a missing parent', { method: 'POST', url: ous, payload: { distinguishedName: 'OU=Austin,OU=Texas,DC=fabrikam,DC=com' } }, 400)
  await x.send('create an OU in an entra directory', { method: 'POST', url: `/directories/${entra}/organizationalUnits`, payload: { distinguishedName: 'OU=Users,DC=contoso,DC=com' } }, 400)
  const sales = (await x.send('create a child OU', { method: 'POST', url: ous, payload: { distinguishedName: 'OU=Sales,OU=Users,DC=fabrikam,DC=com' } }, 201)).json().id as string
  await x.send('delete an OU that holds one', { method: 'DELETE', url: `${ous}/${users}` }, 409)
  await x.send('list OUs a page at a time', { method: 'GET', url: `${ous}?$top=1` }, 200)
  await x.send('read an OU', { method: 'GET', url: `${ous}/${sales}` }, 200)
  await x.send('delete an empty OU', { method: 'DELETE', url: `${ous}/${sales}` }, 204)
  return { entra, ad }
}

/** An API2AAD app with its job, configured and started. */
async function jobRoutes (x: OpenapiExerciser, directoryId: string): Promise<ProvisioningJob> {
  await x.send('create an app for the wrong kind of directory', { method: 'POST', url: '/servicePrincipals', payload: { displayName: 'Workday to AD', templateId: 'API2AD', directoryId } }, 400)
  const created = (await x.send('create an app', { method: 'POST', url: '/servicePrincipals', payload: { displayName: 'Workday to Entra', templateId: 'API2AAD', directoryId, owners: ['hr-connector'] } }, 201)).json()
  const job = jobOf(directoryId, created.id, created.job.id)
  await x.send('read an app', { method: 'GET', url: `/servicePrincipals/${job.servicePrincipalId}` }, 200)
  await x.send("list an app's jobs", { method: 'GET', url: `/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs` }, 200)
  await x.send('read a job', { method: 'GET', url: job.jobUrl }, 200)
  await x.send('read settings', { method: 'GET', url: `${job.jobUrl}/settings` }, 200)
  await x.send('change settings', { method: 'PATCH', url: `${job.jobUrl}/settings`, payload: { notificationEmail: 'identity-ops@contoso.com', maxOperations: 50 } }, 204)
  await x.send('change a setting to a value out of range', { method: 'PATCH', url: `${job.jobUrl}/settings`, payload: { maxOperations: 0 } }, 400)
  await x.send('start a job', { method: 'POST', url: `${job.jobUrl}/start` }, 204)
  await x.send('pause a job', { method: 'POST', url: `${job.jobUrl}/pause` }, 204)
  await x.send('start it again', { method: 'POST', url: `${job.jobUrl}/start` }, 204)
  await x.send('provision on demand', { method: 'POST', url: `${job.jobUrl}/provisionOnDemand` }, 400, { derive: true })

  const schema = (await x.send('read the schema', { method: 'GET', url: `${job.jobUrl}/schema` }, 200)).json()
  const saved = (await x.send('save the schema', { method: 'PUT', url: `${job.jobUrl}/schema`, payload: schema }, 200)).json()
  await x.send('save a schema edited from an old version', { method: 'PUT', url: `${job.jobUrl}/schema`, payload: { ...saved, version: schema.version } }, 409)
  await x.send('save a schema mapping an unknown attribute', {
    method: 'PUT',
    url: `${job.jobUrl}/schema`,
    payload: { attributeMappings: [{ targetAttributeName: 'favouriteColour', mappingType: 'Direct', source: { type: 'Attribute', name: 'title' } }] }
  }, 400)
  await x.send('parse an expression', {
    method: 'POST',
    url: `${job.jobUrl}/schema/parseExpression`,
    payload: { expression: 'Join(" ", [name.givenName], [name.familyName])', testInputObject: { properties: [{ key: 'name.givenName', value: 'Monica' }, { key: 'name.familyName', value: 'Ang' }] } }
  }, 200)
  await x.send('parse without an expression', { method: 'POST', url: `${job.jobUrl}/schema/parseExpression`, payload: { testInputObject: {} } }, 400)
  await x.send('declare extension attributes from a sample', {
    method: 'POST',
    url: `${job.jobUrl}/schema/extensions:fromSample`,
    payload: bulkRequest([{ ...scimUser('521195'), schemas: [CORE_USER, CSV_EXTENSION], [CSV_EXTENSION]: { HireDate: '2022-07-01', JobCode: 'AB-1001' } }])
  }, 200)
  await x.send('declare from a sample without operations', { method: 'POST', url: `${job.jobUrl}/schema/extensions:fromSample`, payload: { Operations: [] } }, 400)
  await x.send('test the connection', { method: 'POST', url: `${job.jobUrl}/testConnection` }, 200)
  return job
}

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

async function uploadRoutes (x: OpenapiExerciser, apps: ScenarioApps, job: ProvisioningJob): Promise<void> {
  const upload = (payload: unknown, contentType = 'application/scim+json'): { method: 'POST', url: string, payload: unknown, contentType: string } =>
    ({ method: 'POST', url: job.uploadUrl, payload, contentType })
  const accepted = await x.send('upload', upload(bulkRequest([
    { ...scimUser('701984', { title: 'Program Manager' }), schemas: [CORE_USER, ENTERPRISE], [ENTERPRISE]: { department: 'Sales', manager: { value: '701985' } } },
    { ...scimUser('701985', { title: 'Director' }), bulkId: 'manager' }
  ])), 202)
  const requestId = accepted.headers['request-id'] as string
  await waitForRequest(apps.app, job, requestId)
  await x.send('status of an upload', { method: 'GET', url: `${job.jobUrl}/bulkUploads/${requestId}` }, 200)
  await x.send('upload through /v1.0', { ...upload(bulkRequest([scimUser('701986')]), 'application/json'), url: `/v1.0${job.uploadUrl}` }, 202)
  await x.send('upload what is not a BulkRequest', upload('{"name":"John Doe"}'), 400)
  await x.send('upload as text/plain', upload(bulkRequest([scimUser('1')]), 'text/plain'), 415)
  await x.send('upload more operations than the job allows', upload(bulkRequest(Array.from({ length: 51 }, (_, index) => scimUser(String(index))))), 413)

  // A second job, not started: its uploads wait, so its limits, backlog and deletion can be met.
  const waiting = await createWaitingJob(x, job.directoryId)
  const waitingUpload = (externalId: string): { method: 'POST', url: string, payload: unknown, contentType: string } =>
    ({ method: 'POST', url: waiting.uploadUrl, payload: bulkRequest([scimUser(externalId)]), contentType: 'application/scim+json' })
  await x.send('limit uploads to one a second', { method: 'PATCH', url: `${waiting.jobUrl}/settings`, payload: { maxRequestsPerSecond: 1 } }, 204)
  await x.send('upload to a job that waits', waitingUpload('801001'), 202, { derive: false })
  await x.send('upload again within the second', waitingUpload('801002'), 429)
  await x.send('bound the backlog to one operation', { method: 'PATCH', url: `${waiting.jobUrl}/settings`, payload: { maxRequestsPerSecond: null, maxBacklogOperations: 1 } }, 204)
  await x.send('upload to a full backlog', waitingUpload('801003'), 429)
  await x.send('delete an app whose uploads wait', { method: 'DELETE', url: `/servicePrincipals/${waiting.servicePrincipalId}` }, 409)
  await x.send('restart, purging what waits', { method: 'POST', url: `${waiting.jobUrl}/restart`, payload: { criteria: { resetScope: 'Full' } } }, 204)
  await x.send('restart with an unknown reset scope', { method: 'POST', url: `${waiting.jobUrl}/restart`, payload: { criteria: { resetScope: 'Everything' } } }, 400)
  await x.send("a job's notifications", { method: 'GET', url: `${waiting.jobUrl}/notifications?$top=5` }, 200)
  await x.send('delete an app', { method: 'DELETE', url: `/servicePrincipals/${waiting.servicePrincipalId}` }, 204)

  // A job that is not configured refuses uploads and every state change.
  const unconfigured = await createWaitingJob(x, job.directoryId)
  await apps.app.db.query("UPDATE sync_jobs SET status_code = 'NotConfigured' WHERE id = $1", [unconfigured.jobId])
  await x.send('upload to a job not configured', { method: 'POST', url: unconfigured.uploadUrl, payload: bulkRequest([scimUser('1')]), contentType: 'application/scim+json' }, 409)
  for (const control of ['start', 'pause', 'restart']) {
    await x.send(`${control} a job not configured`, { method: 'POST', url: `${unconfigured.jobUrl}/${control}` }, 409)
  }
}

async function createWaitingJob (x: OpenapiExerciser, directoryId: string): Promise<ProvisioningJob> {
  const created = (await x.send('create an app to keep waiting', { method: 'POST', url: '/servicePrincipals', payload: { displayName: 'Contractors', templateId: 'API2AAD', directoryId } }, 201, { derive: false })).json()
  return jobOf(directoryId, created.id, created.job.id)
}

async function adRoutes (x: OpenapiExerciser, apps: ScenarioApps, directories: { entra: string, ad: string }): Promise<void> {
  const created = (await x.send('create an API2AD app', { method: 'POST', url: '/servicePrincipals', payload: { displayName: 'Workday to AD', templateId: 'API2AD', directoryId: directories.ad } }, 201, { derive: false })).json()
  const job = jobOf(directories.ad, created.id, created.job.id)
  await x.send('test an AD connection', { method: 'POST', url: `${job.jobUrl}/testConnection` }, 200, { derive: false })
  await x.send('set its notification email', { method: 'PATCH', url: `${job.jobUrl}/settings`, payload: { notificationEmail: 'identity-ops@fabrikam.com' } }, 204, { derive: false })
  await x.send('start it', { method: 'POST', url: `${job.jobUrl}/start` }, 204, { derive: false })
  const accepted = await x.send('upload to AD', {
    method: 'POST',
    url: job.uploadUrl,
    contentType: 'application/scim+json',
    payload: bulkRequest([
      { ...scimUser('521193', { userName: 'dparker@fabrikam.com', displayName: 'Darryl Parker', name: { givenName: 'Darryl', familyName: 'Parker' } }) },
      { ...scimUser('521194', { userName: 'cabbott@fabrikam.com', displayName: 'Carol Abbott', name: { givenName: 'Carol', familyName: 'Abbott' } }), schemas: [CORE_USER, ENTERPRISE], [ENTERPRISE]: { department: 'Consulting Services', manager: { value: '521193' } } }
    ])
  }, 202, { derive: false })
  await waitForRequest(apps.app, job, accepted.headers['request-id'] as string)
  const users = (await x.send('find AD users by sAMAccountName', { method: 'GET', url: `/directories/${directories.ad}/users?sAMAccountName=cabbott` }, 200)).json()
  await x.send('read an AD user', { method: 'GET', url: `/directories/${directories.ad}/users/${users.value[0].objectGUID as string}` }, 200)
  await x.send('find AD users by a DN that does not parse', { method: 'GET', url: `/directories/${directories.ad}/users?distinguishedName=${encodeURIComponent('CN=Carol,OU')}` }, 400)
  await x.send('export an AD directory', { method: 'GET', url: `/directories/${directories.ad}/export.ldif` }, 200)
  await x.send('export an entra directory', { method: 'GET', url: `/directories/${directories.entra}/export.ldif` }, 400)
}

async function readBackRoutes (x: OpenapiExerciser, directoryId: string, job: ProvisioningJob): Promise<void> {
  const users = (await x.send('find users by employeeId', { method: 'GET', url: `/directories/${directoryId}/users?employeeId=701984` }, 200)).json()
  await x.send('list users a page at a time', { method: 'GET', url: `/directories/${directoryId}/users?$top=1` }, 200)
  await x.send('read a user', { method: 'GET', url: `/directories/${directoryId}/users/${users.value[0].id as string}` }, 200)
  await x.send('filter entra users by sAMAccountName', { method: 'GET', url: `/directories/${directoryId}/users?sAMAccountName=jsmith` }, 400)
  await x.send("a job's statistics", { method: 'GET', url: `${job.jobUrl}/statistics` }, 200)
}

async function logRoutes (x: OpenapiExerciser, job: ProvisioningJob): Promise<void> {
  await x.send('the audit, a page at a time', { method: 'GET', url: '/auditLogs/directoryAudits?$top=2' }, 200)
  await x.send('the audit with a filter it cannot read', { method: 'GET', url: `/auditLogs/directoryAudits?$filter=${encodeURIComponent('activityDisplayName eq')}` }, 400)
  const jobFilter = encodeURIComponent(`jobId eq '${job.jobId}'`)
  await x.send('provisioning logs of a job', { method: 'GET', url: `/auditLogs/provisioning?$filter=${jobFilter}&$top=2` }, 200)
  await x.send('provisioning logs, the path written as Microsoft writes it', { method: 'GET', url: `/beta/auditLogs/provisioning/?$filter=${jobFilter}&$top=2` }, 200)
  await x.send('provisioning logs as CSV by Accept, the path written as Microsoft writes it', { method: 'GET', url: `/auditLogs/provisioning/?$filter=${jobFilter}`, headers: { accept: 'text/csv' } }, 200)
  await x.send('provisioning logs as CSV', { method: 'GET', url: `/auditLogs/provisioning?$filter=${jobFilter}&$format=csv` }, 200)
  await x.send('provisioning logs with a filter it cannot read', { method: 'GET', url: `/auditLogs/provisioning?$filter=${encodeURIComponent("jobId eq 'x' and")}` }, 400)
}

function jobOf (directoryId: string, servicePrincipalId: string, jobId: string): ProvisioningJob {
  const jobUrl = `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${jobId}`
  return { directoryId, servicePrincipalId, jobId, jobUrl, uploadUrl: `${jobUrl}/bulkUpload` }
}
