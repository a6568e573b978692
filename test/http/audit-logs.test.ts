import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { AUDIT_ACTIVITIES, AUDIT_ACTIVITY, recordAudit, type AuditEntry } from '../../src/audit/audit-log.js'
import { withTransaction } from '../../src/db/pool.js'
import { auth, buildService } from '../helpers/service.js'
import { assertGraphError, bearer, pathOf, ROLE, UUID } from '../helpers/http.js'

// The audit of administrative actions read as Graph's directoryAudits: entries recorded with
// recordAudit (as the admin routes and the worker do), read back through the route with its
// filters and paging, and everything it cannot read refused with a 400 that says where.

const { app } = await buildService(t)
const { db } = app

const AUDIT_READ = 'AuditLog.Read.All'
const MICROSECOND_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

const newJobId = (): string => `API2AAD.${randomBytes(16).toString('hex')}.${randomUUID()}`

async function read (url: string, roles = [AUDIT_READ]): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url, headers: auth(roles) })
}

const audits = (filter?: string, more = ''): string =>
  `/auditLogs/directoryAudits?${filter === undefined ? '' : `$filter=${encodeURIComponent(filter)}&`}${more}`

const byTarget = (id: string): string => `targetResources/any(t: t/id eq '${id}')`

async function readAll (url: string): Promise<any[]> {
  const response = await read(url)
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`)
  return response.json().value
}

/** A job action as the admin routes record it: by `initiatedBy`, on the job, successful. */
function jobAction (jobId: string, activity: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    activity,
    category: 'ProvisioningManagement',
    operationType: 'Update',
    initiatedBy: 'hr-admin',
    target: { type: 'SynchronizationJob', id: jobId },
    jobId,
    result: 'success',
    ...overrides
  }
}

/** Sets the time of a job's entries of one activity, so time filters have known boundaries. */
async function setTime (jobId: string, activity: string, at: string): Promise<void> {
  await db.query('UPDATE directory_audits SET activity_at = $3 WHERE job_id = $1 AND activity = $2', [jobId, activity, at])
}

t.test('the activities the service records', async t => {
  t.strictSame(AUDIT_ACTIVITIES, [
    'Add service principal',
    'Delete service principal',
    'Update synchronization job settings',
    'Start synchronization job',
    'Pause synchronization job',
    'Restart synchronization job',
    'Update synchronization job schema',
    'Quarantine synchronization job'
  ])
})

t.test("an entry reads back as Graph's directoryAudit: who, when, what and the result", async t => {
  const spId = randomUUID()
  const jobId = newJobId()
  const before = Date.now()
  await recordAudit(db, {
    activity: AUDIT_ACTIVITY.addServicePrincipal,
    category: 'ApplicationManagement',
    operationType: 'Add',
    initiatedBy: 'hr-admin',
    target: { type: 'ServicePrincipal', id: spId, displayName: 'Workday' },
    jobId,
    result: 'success',
    additionalDetails: [{ key: 'templateId', value: 'API2AAD' }]
  })
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.updateSettings, {
    result: 'failure',
    resultReason: 'notificationEmail is not an email address.',
    modifiedProperties: [{ displayName: 'notificationEmail', oldValue: null, newValue: 'not-an-email' }]
  }))
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.quarantine, {
    initiatedBy: null,
    resultReason: 'Too many deletes.',
    additionalDetails: [{ key: 'reason', value: 'TooManyDeletes' }]
  }))

  const [quarantine, settings, added] = await readAll(audits(byTarget(jobId)))
  t.match(added.id, UUID)
  t.match(added.activityDateTime, MICROSECOND_DATE, 'UTC with microseconds')
  t.ok(Date.parse(added.activityDateTime) >= before - 1000 && Date.parse(added.activityDateTime) <= Date.now() + 1000, 'recorded now')
  t.strictSame(added, {
    id: added.id,
    category: 'ApplicationManagement',
    correlationId: null,
    result: 'success',
    resultReason: null,
    activityDisplayName: 'Add service principal',
    activityDateTime: added.activityDateTime,
    loggedByService: 'Core Directory',
    operationType: 'Add',
    initiatedBy: { app: { appId: 'hr-admin', displayName: null, servicePrincipalId: null }, user: null },
    targetResources: [
      { id: spId, displayName: 'Workday', type: 'ServicePrincipal', modifiedProperties: [] },
      { id: jobId, displayName: null, type: 'SynchronizationJob', modifiedProperties: [] }
    ],
    additionalDetails: [{ key: 'templateId', value: 'API2AAD' }]
  }, 'an app: the app, then its job')
  t.strictSame(settings, {
    id: settings.id,
    category: 'ProvisioningManagement',
    correlationId: null,
    result: 'failure',
    resultReason: 'notificationEmail is not an email address.',
    activityDisplayName: 'Update synchronization job settings',
    activityDateTime: settings.activityDateTime,
    loggedByService: 'Account Provisioning',
    operationType: 'Update',
    initiatedBy: { app: { appId: 'hr-admin', displayName: null, servicePrincipalId: null }, user: null },
    targetResources: [{ id: jobId, displayName: null, type: 'SynchronizationJob', modifiedProperties: [{ displayName: 'notificationEmail', oldValue: null, newValue: 'not-an-email' }] }],
    additionalDetails: []
  }, 'a job: only the job')
  t.strictSame(quarantine.initiatedBy, { app: null, user: null }, 'what the worker does is initiated by no app')
  t.equal(quarantine.activityDisplayName, 'Quarantine synchronization job')
  t.strictSame(quarantine.additionalDetails, [{ key: 'reason', value: 'TooManyDeletes' }])
})

t.test('filter by target: a job finds its entries and its app’s, an app finds its own, newest first', async t => {
  const spId = randomUUID()
  const jobId = newJobId()
  const otherJobId = newJobId()
  await recordAudit(db, { ...jobAction(jobId, AUDIT_ACTIVITY.addServicePrincipal), category: 'ApplicationManagement', operationType: 'Add', target: { type: 'ServicePrincipal', id: spId } })
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.updateSettings))
  await recordAudit(db, jobAction(otherJobId, AUDIT_ACTIVITY.start))
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.start))
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.quarantine, { initiatedBy: null }))

  const job = await readAll(audits(byTarget(jobId)))
  t.strictSame(job.map(entry => entry.activityDisplayName), [
    'Quarantine synchronization job',
    'Start synchronization job',
    'Update synchronization job settings',
    'Add service principal'
  ])
  t.ok(job.every((entry, i) => i === 0 || entry.activityDateTime <= job[i - 1].activityDateTime), 'newest first')
  t.strictSame((await readAll(audits(byTarget(spId)))).map(entry => entry.activityDisplayName), ['Add service principal'])
  t.strictSame((await readAll(audits(byTarget(otherJobId)))).map(entry => entry.activityDisplayName), ['Start synchronization job'])
  t.strictSame(await readAll(audits(byTarget(newJobId()))), [], 'an unknown id finds nothing')
  t.strictSame(await readAll(audits(byTarget(jobId.toUpperCase()))), [], 'ids are compared exactly')
})

t.test('filter by activity, result and initiator, joined with and; names are not case sensitive', async t => {
  const jobId = newJobId()
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.start))
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.pause, { initiatedBy: 'ops-console' }))
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.start, { result: 'failure', resultReason: 'Set notificationEmail first.' }))
  await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.restart, { initiatedBy: 'ops-console' }))
  const job = byTarget(jobId)
  const activities = async (filter: string): Promise<string[]> => (await readAll(audits(filter))).map(entry => `${entry.activityDisplayName}/${entry.result}`)

  t.strictSame(await activities(`${job} and activityDisplayName eq 'Start synchronization job'`), ['Start synchronization job/failure', 'Start synchronization job/success'])
  t.strictSame(await activities(`${job} and activityDisplayName eq 'start SYNCHRONIZATION job'`), ['Start synchronization job/failure', 'Start synchronization job/success'], 'the activity is compared without case')
  t.strictSame(await activities(`${job} and result eq 'failure'`), ['Start synchronization job/failure'])
  t.strictSame(await activities(`${job} and initiatedBy/app/appId eq 'ops-console'`), ['Restart synchronization job/success', 'Pause synchronization job/success'])
  t.strictSame(await activities(`initiatedBy/app/appId eq 'ops-console' and ${job} and activityDisplayName eq 'Pause synchronization job' and result eq 'success'`), ['Pause synchronization job/success'], 'in any order')
  t.strictSame(await activities(`TargetResources/Any(X: x/ID EQ '${jobId}') AND ACTIVITYDISPLAYNAME eq 'Restart synchronization job'`), ['Restart synchronization job/success'])
  t.strictSame(await activities(`${job} and activityDisplayName eq 'Delete service principal'`), [])
})

t.test('filter by time: ge, gt, le and lt at their boundaries, to the microsecond', async t => {
  const jobId = newJobId()
  const times: Array<[string, string]> = [
    [AUDIT_ACTIVITY.start, '2026-01-01T10:00:00.000000Z'],
    [AUDIT_ACTIVITY.pause, '2026-01-01T10:00:00.000001Z'],
    [AUDIT_ACTIVITY.restart, '2026-01-01T11:00:00.000000Z'],
    [AUDIT_ACTIVITY.updateSchema, '2026-01-02T00:00:00.000000Z']
  ]
  for (const [activity, at] of times) {
    await recordAudit(db, jobAction(jobId, activity))
    await setTime(jobId, activity, at)
  }
  const at = async (range: string): Promise<string[]> => (await readAll(audits(`${byTarget(jobId)} and ${range}`))).map(entry => entry.activityDateTime)

  t.strictSame(await at('activityDateTime ge 2026-01-01T10:00:00Z'), ['2026-01-02T00:00:00.000000Z', '2026-01-01T11:00:00.000000Z', '2026-01-01T10:00:00.000001Z', '2026-01-01T10:00:00.000000Z'])
  t.strictSame(await at('activityDateTime gt 2026-01-01T10:00:00Z'), ['2026-01-02T00:00:00.000000Z', '2026-01-01T11:00:00.000000Z', '2026-01-01T10:00:00.000001Z'])
  t.strictSame(await at('activityDateTime le 2026-01-01T10:00:00.000001Z'), ['2026-01-01T10:00:00.000001Z', '2026-01-01T10:00:00.000000Z'], 'a time shown can be used as a bound')
  t.strictSame(await at('activityDateTime lt 2026-01-01T10:00:00.000001Z'), ['2026-01-01T10:00:00.000000Z'])
  t.strictSame(await at('activityDateTime ge 2026-01-01T10:30:00Z and activityDateTime lt 2026-01-02'), ['2026-01-01T11:00:00.000000Z'], 'a range; a date is midnight UTC')
  t.strictSame(await at('activityDateTime ge 2026-01-01T13:00:00+02:00 and activityDateTime le 2026-01-01T06:00-05:00'), ['2026-01-01T11:00:00.000000Z'], 'offsets')
  t.strictSame(await at('activityDateTime gt 2026-01-02T00:00:00Z'), [])
  t.strictSame(await at('activityDateTime ge 2026-01-01T11:00:00Z and activityDateTime lt 2026-01-01T11:00:00Z'), [], 'an empty range')
})

t.test('paging: $top and @odata.nextLink give every entry once, in order, under each prefix', async t => {
  const jobId = newJobId()
  for (let i = 0; i < 103; i++) await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.pause, { additionalDetails: [{ key: 'n', value: String(i) }] }))
  // Entries sharing a time (ordered by id) and entries a microsecond apart, where a page may end.
  await db.query(`UPDATE directory_audits SET activity_at = '2026-03-01T12:00:00.123456Z' WHERE job_id = $1 AND (additional_details->0->>'value')::int BETWEEN 10 AND 19`, [jobId])
  await db.query(`UPDATE directory_audits SET activity_at = '2026-03-01T12:00:00.123Z'::timestamptz + ((additional_details->0->>'value')::int - 20) * interval '1 microsecond'
                  WHERE job_id = $1 AND (additional_details->0->>'value')::int BETWEEN 20 AND 29`, [jobId])
  const filter = byTarget(jobId)
  const everything = await readAll(audits(filter, '$top=1000'))
  t.equal(everything.length, 103)
  t.equal(new Set(everything.map(entry => entry.id)).size, 103)

  const first = (await read(audits(filter))).json()
  t.equal(first.value.length, 100, '$top defaults to 100')
  t.type(first['@odata.nextLink'], 'string')

  for (const prefix of ['', '/v1.0', '/beta']) {
    const before = await readAll(audits(filter, '$top=1000'))
    const seen: any[] = []
    let url: string | undefined = `${prefix}${audits(filter, '$top=7')}`
    let pages = 0
    while (url !== undefined) {
      const response = await read(url)
      t.equal(response.statusCode, 200)
      const body = response.json()
      seen.push(...body.value)
      pages++
      const next: string | undefined = body['@odata.nextLink']
      if (next !== undefined) {
        const link = new URL(next)
        t.equal(link.origin, 'http://localhost', 'absolute')
        t.equal(link.pathname, `${prefix}/auditLogs/directoryAudits`, `keeps the prefix ${prefix || '(none)'}`)
        t.equal(link.searchParams.get('$filter'), filter, 'keeps the filter')
        t.equal(link.searchParams.get('$top'), '7', 'keeps $top')
        if (pages === 1) await recordAudit(db, jobAction(jobId, AUDIT_ACTIVITY.restart))
      }
      url = next === undefined ? undefined : pathOf(next)
    }
    t.equal(pages, Math.ceil(before.length / 7), `${prefix || '(none)'}: ${before.length} entries in pages of 7`)
    t.strictSame(seen.map(entry => entry.id), before.map(entry => entry.id), `${prefix || '(none)'}: each entry once, none missing, same order; an entry recorded meanwhile does not shift the pages`)
  }
})

t.test('what it cannot read is a 400 that says where and what, never a 500', async t => {
  const filters: Array<[string, RegExp]> = [
    ["displayName eq 'x'", /at character 1: 'displayName' cannot be filtered on; supported: /],
    ["activityDisplayName ne 'x'", /at character 21: expected 'eq', found 'ne'/],
    ["activityDisplayName eq 'x", /at character 24: .*not closed/],
    ['activityDisplayName eq', /at character 23: expected a quoted string.*found the end/],
    ['activityDisplayName eq x;', /at character 24: expected a quoted string/],
    ["activityDisplayName eq 'x' or result eq 'success'", /at character 28: expected 'and' or the end, found 'or'/],
    ["activityDisplayName eq 'x' and", /at character 31: expected a property/],
    ["activityDisplayName eq 'a' and activityDisplayName eq 'b'", /at character 32: activityDisplayName is already given/],
    ["not (result eq 'success')", /at character 1: 'not' cannot be filtered on/],
    ["(result eq 'success')", /at character 1: expected a property, found '\('/],
    ["result eq 'maybe'", /at character 11: result is 'success' or 'failure'/],
    ["startswith(activityDisplayName, 'Start')", /'startswith' cannot be filtered on/],
    ["targetResources/any(t: t/displayName eq 'x')", /at character 24: expected 't\/id'/],
    ["targetResources/any(t: t/id eq 'x'", /at character 35: expected '\)', found the end/],
    ["targetResources/any(t: t/id eq 'x') and targetResources/any(t: t/id eq 'y')", /already given/],
    ['activityDateTime ge yesterday', /at character 21: expected a date-time/],
    ['activityDateTime ge 2026-02-30T00:00:00Z', /at character 21: expected a date-time/],
    ['activityDateTime ge 0000-01-01T00:00:00Z', /at character 21: expected a date-time/],
    ['activityDateTime ge 2026-01-01T10:00:00', /with its offset/],
    ["activityDateTime ge '2026-01-01T00:00:00Z'", /without quotes/],
    ['activityDateTime eq 2026-01-01T00:00:00Z', /takes ge, gt, le or lt/],
    ['', /at character 1: expected a property.*found the end/]
  ]
  for (const [filter, reason] of filters) {
    const response = await read(audits(filter))
    const error = assertGraphError(t, response, 400, 'BadRequest')
    t.match(error.message, reason, `${filter}: says where and what`)
    t.match(error.details, [{ code: 'invalidFilter', target: '$filter' }], `${filter}: names $filter`)
  }

  const token = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const skipTokens = [
    'bm9wZQ',
    '!!!',
    token(['2026-01-01T00:00:00.000000Z']),
    token(['2026-01-01T00:00:00.000000Z', 'not-a-uuid']),
    token(['0000-01-01T00:00:00.000000Z', randomUUID()]),
    token(['2026-02-30T00:00:00.000000Z', randomUUID()]),
    token({ at: '2026-01-01T00:00:00Z', id: randomUUID() })
  ]
  for (const skipToken of skipTokens) {
    const error = assertGraphError(t, await read(`/auditLogs/directoryAudits?$skiptoken=${encodeURIComponent(skipToken)}`), 400, 'BadRequest')
    t.match(error.message, /\$skiptoken/, `${skipToken}: a made-up skip token`)
  }
  for (const query of ['$top=0', '$top=1001', '$top=ten', '$orderby=activityDateTime', `$filter=${'a'.repeat(2001)}`]) {
    assertGraphError(t, await read(`/auditLogs/directoryAudits?${query}`), 400, 'BadRequest')
  }
})

t.test('a value that looks like SQL is only a value', async t => {
  const jobId = newJobId()
  const odd = "x'); DELETE FROM directory_audits; --"
  await recordAudit(db, jobAction(jobId, odd))
  const escaped = odd.replaceAll("'", "''")
  t.strictSame((await readAll(audits(`activityDisplayName eq '${escaped}'`))).map(entry => entry.activityDisplayName), [odd], 'found as the text it is')
  t.strictSame(await readAll(audits("activityDisplayName eq ''' OR 1=1 --'")), [])
  t.strictSame(await readAll(audits("targetResources/any(t: t/id eq ''') OR (''1''=''1')")), [])
  t.strictSame(await readAll(audits("initiatedBy/app/appId eq '%' and result eq 'success'")), [], 'no wildcards either')
  t.strictSame((await readAll(audits(byTarget(jobId)))).length, 1, 'and nothing was deleted')
})

t.test('reading needs AuditLog.Read.All', async t => {
  assertGraphError(t, await app.inject({ method: 'GET', url: '/auditLogs/directoryAudits' }), 401, 'InvalidAuthenticationToken')
  assertGraphError(t, await app.inject({ method: 'GET', url: '/v1.0/auditLogs/directoryAudits', headers: bearer('not.a.token') }), 401, 'InvalidAuthenticationToken')
  for (const role of [ROLE.syncReadWrite, ROLE.syncRead, ROLE.provisioningLogRead, ROLE.directoryReadWrite]) {
    assertGraphError(t, await read('/beta/auditLogs/directoryAudits', [role]), 403, 'Authorization_RequestDenied')
  }
  t.equal((await read('/beta/auditLogs/directoryAudits', [AUDIT_READ])).statusCode, 200, 'the one role is enough')
})

t.test('an entry commits or rolls back with the transaction it is recorded in', async t => {
  const jobId = newJobId()
  await t.rejects(withTransaction(db, async client => {
    await recordAudit(client, jobAction(jobId, AUDIT_ACTIVITY.pause))
    throw new Error('the change failed')
  }))
  t.strictSame(await readAll(audits(byTarget(jobId))), [], 'rolled back: no entry')

  await withTransaction(db, async client => {
    await recordAudit(client, jobAction(jobId, AUDIT_ACTIVITY.start))
    t.strictSame(await readAll(audits(byTarget(jobId))), [], 'not visible before the commit')
  })
  t.strictSame((await readAll(audits(byTarget(jobId)))).map(entry => entry.activityDisplayName), ['Start synchronization job'], 'committed: kept')
})
