import t from 'tap'
import { recordAudit } from '../../src/audit/audit-log.js'
import { withTransaction } from '../../src/db/pool.js'
import { auth, createJob } from '../helpers/service.js'
import { provisioningFixture } from '../helpers/provisioning.js'

// The audit of administrative actions, read as Graph's directoryAudits: what the admin
// routes record, the filters, paging, and refusals of what cannot be read.
const { app, db } = await provisioningFixture(t, {}, { worker: false })

const AUDIT_ROLE = ['AuditLog.Read.All']

async function read (url: string, roles = AUDIT_ROLE): Promise<{ statusCode: number, body: any }> {
  const response = await app.inject({ method: 'GET', url, headers: auth(roles) })
  return { statusCode: response.statusCode, body: response.json() }
}

const byJob = (jobId: string): string => `/auditLogs/directoryAudits?$filter=${encodeURIComponent(`targetResources/any(t: t/id eq '${jobId}')`)}`

async function allPages (first: string): Promise<any[]> {
  const entries: any[] = []
  let url: string | undefined = first
  while (url !== undefined) {
    const page = await read(url)
    if (page.statusCode !== 200) throw new Error(`${page.statusCode} ${JSON.stringify(page.body)}`)
    entries.push(...page.body.value)
    const next: string | undefined = page.body['@odata.nextLink']
    url = next === undefined ? undefined : new URL(next).pathname + new URL(next).search
  }
  return entries
}

const job = await createJob(app, { start: false })
for (const action of ['start', 'pause', 'start', 'restart']) {
  const response = await app.inject({ method: 'POST', url: `${job.jobUrl}/${action}`, headers: auth(undefined, 'hr-admin') })
  if (response.statusCode !== 204) throw new Error(`${action}: ${response.body}`)
}

t.test('admin actions on a job are recorded with who, what, when and the result, newest first', async t => {
  const { statusCode, body } = await read(byJob(job.jobId))
  t.equal(statusCode, 200)
  t.strictSame(body.value.map((entry: any) => entry.activityDisplayName), [
    'Restart synchronization job',
    'Start synchronization job',
    'Pause synchronization job',
    'Start synchronization job',
    'Update synchronization job settings',
    'Add service principal'
  ])
  const [restart] = body.value
  t.equal(restart.result, 'success')
  t.equal(restart.category, 'ProvisioningManagement')
  t.strictSame(restart.initiatedBy, { app: { appId: 'hr-admin', displayName: null, servicePrincipalId: null }, user: null })
  t.equal(restart.targetResources[0].id, job.jobId)
  t.equal(restart.targetResources[0].type, 'SynchronizationJob')
  t.strictSame(restart.targetResources[0].modifiedProperties, [{ displayName: 'status.code', oldValue: 'Active', newValue: 'Active' }])
  t.match(restart.additionalDetails, [{ key: 'resetScope', value: 'Full' }])
  t.ok(Date.parse(restart.activityDateTime) <= Date.now())
  const settings = body.value[4]
  t.strictSame(settings.targetResources[0].modifiedProperties, [{ displayName: 'notificationEmail', oldValue: null, newValue: 'identity-ops@contoso.com' }])
  t.equal(body.value[5].targetResources[0].type, 'ServicePrincipal', 'the app is the target of its creation')
})

t.test('filters: activity, result, initiator, time range, combined with and; names are not case sensitive', async t => {
  const pauses = await read(`${byJob(job.jobId)}${encodeURIComponent(" and activityDisplayName eq 'Pause synchronization job'")}`)
  t.equal(pauses.body.value.length, 1)
  const caseless = await read(`/auditLogs/directoryAudits?$filter=${encodeURIComponent(`TARGETRESOURCES/ANY(x: x/ID EQ '${job.jobId}') AND ActivityDisplayName eq 'pause synchronization job'`)}`)
  t.equal(caseless.body.value.length, 1)
  const byInitiator = await read(`${byJob(job.jobId)}${encodeURIComponent(" and initiatedBy/app/appId eq 'hr-admin' and result eq 'success'")}`)
  t.equal(byInitiator.body.value.length, 4, 'the four controls')
  const since = new Date(Date.now() + 60_000).toISOString()
  const future = await read(`${byJob(job.jobId)}${encodeURIComponent(` and activityDateTime ge ${since}`)}`)
  t.strictSame(future.body.value, [])
  const past = await read(`${byJob(job.jobId)}${encodeURIComponent(` and activityDateTime lt ${since}`)}`)
  t.equal(past.body.value.length, 6)
})

t.test('paging with $top and @odata.nextLink returns every entry once, and keeps the /v1.0 prefix', async t => {
  const other = await createJob(app, { start: false })
  for (let i = 0; i < 5; i++) await app.inject({ method: 'POST', url: `${other.jobUrl}/pause`, headers: auth() })
  const everything = (await read(byJob(other.jobId))).body.value
  t.equal(everything.length, 7)
  const paged = await allPages(`/v1.0${byJob(other.jobId).replace('?', '?$top=2&')}`)
  t.strictSame(paged.map(entry => entry.id), everything.map((entry: any) => entry.id), 'same entries, same order, none twice')
  const first = await read(`/v1.0${byJob(other.jobId).replace('?', '?$top=2&')}`)
  t.match(first.body['@odata.nextLink'], /\/v1\.0\/auditLogs\/directoryAudits\?/)
})

t.test('what the audit log cannot read is refused with 400 naming where', async t => {
  const cases: Array<[string, RegExp]> = [
    ["displayName eq 'x'", /'displayName' cannot be filtered on/],
    ["activityDisplayName ne 'x'", /expected 'eq'/],
    ["activityDisplayName eq 'x", /not closed/],
    ['activityDateTime ge yesterday', /date-time/],
    ["result eq 'maybe'", /'success' or 'failure'/],
    ["activityDisplayName eq 'x' or result eq 'success'", /expected 'and'/],
    ["targetResources/any(t: t/displayName eq 'x')", /expected 't\/id'/],
    ['activityDisplayName eq', /found the end/],
    ['activityDisplayName eq x;', /unexpected ';'|quoted string/]
  ]
  for (const [filter, message] of cases) {
    const response = await read(`/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`)
    t.equal(response.statusCode, 400, filter)
    t.match(response.body.error.message, /at character \d+/, `${filter}: says where`)
    t.match(response.body.error.message, message, `${filter}: says what`)
  }
  t.equal((await read('/auditLogs/directoryAudits?$skiptoken=bm9wZQ')).statusCode, 400, 'a made-up skip token')
  t.equal((await read('/auditLogs/directoryAudits?$top=0')).statusCode, 400)
  t.equal((await read('/auditLogs/directoryAudits?$top=1001')).statusCode, 400)
})

t.test('a value that looks like SQL is only a value', async t => {
  const response = await read(`/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName eq ''' OR 1=1 --'")}`)
  t.equal(response.statusCode, 200)
  t.strictSame(response.body.value, [])
})

t.test('reading needs AuditLog.Read.All', async t => {
  t.equal((await read('/auditLogs/directoryAudits', ['Synchronization.ReadWrite.All'])).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/auditLogs/directoryAudits' })).statusCode, 401)
})

t.test('an entry recorded in a transaction that rolls back is not kept', async t => {
  const entry = { activity: 'Pause synchronization job', category: 'ProvisioningManagement' as const, operationType: 'Update' as const, initiatedBy: 'rollback-test', target: { type: 'SynchronizationJob' as const, id: job.jobId }, jobId: job.jobId, result: 'success' as const }
  await t.rejects(withTransaction(db, async client => {
    await recordAudit(client, entry)
    throw new Error('the change failed')
  }))
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM directory_audits WHERE initiated_by = 'rollback-test'`)
  t.equal(rows[0].n, 0)
})
