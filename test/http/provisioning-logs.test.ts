import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { parse as parseCsv } from 'csv-parse/sync'
import { storeModifiedProperties } from '../../src/logs/modified-properties.js'
import { storeSteps } from '../../src/logs/stored-steps.js'
import { LOG_CSV_COLUMNS } from '../../src/logs/log-csv.js'
import { allProvisioningLogs } from '../../src/logs/log-query.js'
import { createPool } from '../../src/db/pool.js'
import type { ModifiedProperty, ProvisioningStep } from '../../src/provisioning/outcome.js'
import { auth, createJob } from '../helpers/service.js'
import { assertGraphError, pathOf, ROLE, UUID } from '../helpers/http.js'
import { post, provisioningFixture, run } from '../helpers/provisioning.js'

// GET /auditLogs/provisioning: entries written by real processing are readable at once, in
// Graph's provisioningObjectSummary shape; $filter, $orderby, $top and keyset paging over
// entries written straight with SQL (known times, statuses and codes); CSV downloads; and a
// 400 that says where for everything the reader does not know.

// No per-client rate limit: the tests below make hundreds of requests a second as one client.
const { app, db } = await provisioningFixture(t, { RATE_LIMIT_PER_SECOND: 0 })

const MICROSECOND_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const newJobId = (): string => `API2AAD.${randomBytes(16).toString('hex')}.${randomUUID()}`

async function read (url: string, headers: Record<string, string> = auth([ROLE.provisioningLogRead])): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url, headers })
}

const logs = (filter?: string, more = '', prefix = ''): string =>
  `${prefix}/auditLogs/provisioning?${filter === undefined ? '' : `$filter=${encodeURIComponent(filter)}&`}${more}`

async function page (url: string): Promise<any> {
  const response = await read(url)
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`)
  return response.json()
}

/** Every entry of every page, following @odata.nextLink. */
async function readAll (url: string): Promise<any[]> {
  const entries: any[] = []
  let next: string | undefined = url
  while (next !== undefined) {
    const body = await page(next)
    entries.push(...body.value)
    next = body['@odata.nextLink'] === undefined ? undefined : pathOf(body['@odata.nextLink'])
  }
  return entries
}

interface Seed {
  jobId: string
  at: string
  id?: string
  cycleId?: string
  changeId?: string
  action?: string
  status?: string
  errorCode?: string | null
  reason?: string | null
  sourceId?: string | null
  sourceDisplayName?: string | null
  targetId?: string | null
  targetDisplayName?: string | null
  modifiedProperties?: ModifiedProperty[]
  steps?: ProvisioningStep[]
}

/** Writes entries as the log writer stores them (compact properties and steps); returns their ids. */
async function seed (entries: Seed[]): Promise<string[]> {
  const rows = entries.map((entry, index) => ({
    id: entry.id ?? randomUUID(),
    request_id: randomUUID(),
    operation_index: index,
    job_id: entry.jobId,
    cycle_id: entry.cycleId ?? randomUUID(),
    change_id: entry.changeId ?? randomUUID(),
    activity_at: entry.at,
    action: entry.action ?? 'create',
    status: entry.status ?? 'success',
    error_code: entry.errorCode ?? null,
    reason: entry.reason ?? null,
    source_id: entry.sourceId === undefined ? `E${index}` : entry.sourceId,
    source_display_name: entry.sourceDisplayName ?? null,
    target_id: entry.targetId ?? null,
    target_display_name: entry.targetDisplayName ?? null,
    modified_properties: storeModifiedProperties(entry.modifiedProperties ?? []),
    steps: storeSteps(entry.steps ?? [])
  }))
  await db.query(
    `INSERT INTO provisioning_logs (id, request_id, operation_index, job_id, cycle_id, change_id, activity_at, action, status, error_code, reason,
       source_id, source_display_name, target_id, target_display_name, modified_properties, steps)
     SELECT * FROM json_to_recordset($1::json) AS x(id uuid, request_id uuid, operation_index int, job_id text, cycle_id uuid, change_id uuid,
       activity_at timestamptz, action text, status text, error_code text, reason text, source_id text, source_display_name text,
       target_id uuid, target_display_name text, modified_properties json, steps json)`, [JSON.stringify(rows)])
  return rows.map(row => row.id)
}

t.test('processed operations are readable at once, as Graph\'s provisioningObjectSummary', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [
    post({ externalId: '701984', userName: 'bjensen@contoso.com', displayName: 'Barbara Jensen', name: { givenName: 'Barbara', familyName: 'Jensen' }, active: true }),
    post({ externalId: '701985', userName: 'kim@fabrikam.com', displayName: 'Kim Akers', active: true })
  ])
  // No wait: the entries commit with the request, so the status saying completed means they are there.
  const started = Date.now()
  const body = await page(logs(`jobId eq '${job.jobId}'`, '', '/beta'))
  t.ok(Date.now() - started < 1000, 'answered within a second of processing')
  t.equal(body.value.length, 2)
  t.equal(body['@odata.context'], 'http://localhost:80/beta/$metadata#auditLogs/provisioning')
  const created = body.value.find((entry: any) => entry.sourceIdentity.id === '701984')
  const failed = body.value.find((entry: any) => entry.sourceIdentity.id === '701985')
  const operation = status.operations.find((op: any) => op.externalId === '701984')
  t.match(created, {
    id: operation.logId,
    jobId: job.jobId,
    cycleId: UUID,
    changeId: UUID,
    durationInMilliseconds: Number,
    provisioningAction: 'create',
    provisioningStatusInfo: { status: 'success', errorInformation: null },
    sourceIdentity: { id: '701984', displayName: 'Barbara Jensen', identityType: 'User', details: { requestId: status.id, operationIndex: '0', bulkId: 'op0', method: 'POST' } },
    targetIdentity: { id: operation.targetId, displayName: 'Barbara Jensen', identityType: 'User', details: {} },
    sourceSystem: { id: job.servicePrincipalId, displayName: 'HR', details: {} },
    targetSystem: { id: job.directoryId, displayName: 'Contoso', details: {} },
    servicePrincipal: { id: job.servicePrincipalId, displayName: 'HR' },
    initiatedBy: { initiatorType: 'system' },
    action: 'create',
    statusInfo: { status: 'success', errorCode: null, reason: null, errorCategory: null }
  })
  t.match(created.activityDateTime, MICROSECOND_DATE, 'UTC with microseconds')
  t.notOk('tenantId' in created, 'no tenant')
  t.match(created.modifiedProperties, [{ displayName: String, oldValue: null, newValue: String }])
  t.ok(created.modifiedProperties.some((p: any) => p.displayName === 'userPrincipalName' && p.newValue === 'bjensen@contoso.com'), 'old → new values')
  t.ok(created.provisioningSteps.length >= 3, 'its steps')
  t.match(created.provisioningSteps[0], { name: String, provisioningStepType: 'import', status: 'success', description: String, details: {} })
  t.match(failed.provisioningStatusInfo, {
    status: 'failure',
    errorInformation: { errorCode: 'InvalidDomain', reason: /fabrikam/, additionalDetails: null, errorCategory: 'nonServiceFailure', recommendedAction: null }
  })
  t.match(failed.statusInfo, { status: 'failure', errorCode: 'InvalidDomain', reason: /fabrikam/, errorCategory: 'nonServiceFailure' })
  t.equal(failed.targetIdentity.id, null, 'no user was created')

  const byExternalId = await page(logs(`jobid eq '${job.jobId}' and sourceIdentity/id eq '701984'`))
  t.strictSame(byExternalId.value.map((entry: any) => entry.id), [created.id], "Microsoft's documented per-record query")
  const failures = await page(`/beta/auditLogs/provisioning/?$filter=${encodeURIComponent(`jobid eq '${job.jobId}' and statusInfo/status eq 'failure' and activityDateTime ge 2022-10-10T09:47:34Z`)}`)
  t.strictSame(failures.value.map((entry: any) => entry.id), [failed.id], "Microsoft's Postman query, trailing slash and all")
})

t.test('entries of a deleted app keep their job and show no app', async t => {
  const jobId = newJobId()
  await seed([{ jobId, at: '2026-01-01T00:00:00Z' }])
  const [entry] = (await page(logs(`jobId eq '${jobId}'`))).value
  t.strictSame(entry.servicePrincipal, { id: null, displayName: null })
  t.strictSame(entry.sourceSystem, { id: null, displayName: null, details: {} })
})

/** Six entries of one job, a second apart, each different in every filterable way. */
async function sixEntries (): Promise<{ jobId: string, cycle: string, target: string, ids: string[], changes: string[] }> {
  const jobId = newJobId()
  const cycle = randomUUID()
  const target = '00000000-0000-4000-8000-00000000000a'
  const changes = Array.from({ length: 6 }, () => randomUUID())
  const ids = await seed([
    { jobId, at: '2026-03-01T10:00:00.000001Z', cycleId: cycle, changeId: changes[0], sourceId: 'E1', sourceDisplayName: 'Ada Lovelace', action: 'create', status: 'success', targetId: target, targetDisplayName: 'Ada Lovelace' },
    { jobId, at: '2026-03-01T10:00:01.000001Z', cycleId: cycle, changeId: changes[1], sourceId: 'E2', sourceDisplayName: "Bob O'Brien", action: 'update', status: 'failure', errorCode: 'InvalidDomain', reason: 'no such domain' },
    { jobId, at: '2026-03-01T10:00:02.000001Z', changeId: changes[2], sourceId: 'E3', sourceDisplayName: 'carol', action: 'delete', status: 'skipped', reason: 'nothing changed', targetId: '00000000-0000-4000-8000-00000000000b' },
    { jobId, at: '2026-03-01T10:00:03.000001Z', changeId: changes[3], sourceId: 'E4', sourceDisplayName: null, action: 'disable', status: 'warning', errorCode: 'EntryConflict' },
    { jobId, at: '2026-03-01T10:00:04.000001Z', changeId: changes[4], sourceId: 'E5', sourceDisplayName: '100% _real_', action: 'stagedDelete', status: 'failure', errorCode: 'InternalError' },
    { jobId, at: '2026-03-01T10:00:05.000001Z', changeId: changes[5], sourceId: 'E6', sourceDisplayName: 'Zoë Ünal', action: 'other', status: 'success' }
  ])
  return { jobId, cycle, target, ids, changes }
}

t.test('every property and operator', async t => {
  const { jobId, cycle, target, ids, changes } = await sixEntries()
  // Newest first, so the expectations read E6 … E1.
  const sources = async (filter: string): Promise<string> =>
    (await readAll(logs(`jobId eq '${jobId}' and (${filter})`))).map(entry => entry.sourceIdentity.id).join(' ')
  const cases: Array<[string, string]> = [
    [`id eq '${ids[1]}'`, 'E2'],
    [`id ne '${ids[1]}'`, 'E6 E5 E4 E3 E1'],
    [`startswith(id, '${ids[2]!.slice(0, 13).toUpperCase()}')`, 'E3'],
    [`contains(id, '${ids[3]!.slice(9, 23)}')`, 'E4'],
    [`cycleId eq '${cycle}'`, 'E2 E1'],
    [`cycleId ne '${cycle}'`, 'E6 E5 E4 E3'],
    [`changeId eq '${changes[4]}'`, 'E5'],
    [`jobId ne '${jobId}'`, ''],
    [`startswith(jobId, '${jobId.slice(0, 20)}')`, 'E6 E5 E4 E3 E2 E1'],
    [`contains(jobId, 'nope')`, ''],
    ["provisioningAction eq 'update'", 'E2'],
    ["action eq 'StagedDelete'", 'E5'],
    ["provisioningAction ne 'create'", 'E6 E5 E4 E3 E2'],
    ["statusInfo/status eq 'failure'", 'E5 E2'],
    ["provisioningStatusInfo/status eq 'warning'", 'E4'],
    ["provisioningStatusInfo/status ne 'success'", 'E5 E4 E3 E2'],
    ["errorCode eq 'InvalidDomain'", 'E2'],
    ["provisioningStatusInfo/errorInformation/errorCode eq 'EntryConflict'", 'E4'],
    ['errorCode eq null', 'E6 E3 E1'],
    ['errorCode ne null', 'E5 E4 E2'],
    ["errorCode ne 'InvalidDomain'", 'E6 E5 E4 E3 E1'],
    ["startswith(errorCode, 'invalid')", 'E2'],
    ["sourceIdentity/id eq 'E3'", 'E3'],
    ["sourceIdentity/id gt 'E4'", 'E6 E5'],
    ["sourceIdentity/id ge 'E4'", 'E6 E5 E4'],
    ["sourceIdentity/id lt 'E2'", 'E1'],
    ["sourceIdentity/id le 'E2'", 'E2 E1'],
    ["sourceIdentity/displayName eq 'carol'", 'E3'],
    ["sourceIdentity/displayName eq 'Carol'", '', ],
    ["sourceIdentity/displayName eq 'Bob O''Brien'", 'E2'],
    ["contains(sourceIdentity/displayName, 'LOVE')", 'E1'],
    ["startswith(sourceIdentity/displayName, 'zoë')", 'E6'],
    ["contains(sourceIdentity/displayName, '%')", 'E5'],
    ["contains(sourceIdentity/displayName, '_real_')", 'E5'],
    ["contains(sourceIdentity/displayName, '_')", 'E5'],
    ['sourceIdentity/displayName eq null', 'E4'],
    [`targetIdentity/id eq '${target}'`, 'E1'],
    ['targetIdentity/id eq null', 'E6 E5 E4 E2'],
    [`targetIdentity/id ne '${target}'`, 'E6 E5 E4 E3 E2'],
    ["targetIdentity/displayName eq 'Ada Lovelace'", 'E1'],
    ['activityDateTime eq 2026-03-01T10:00:02.000001Z', 'E3'],
    ['activityDateTime ne 2026-03-01T10:00:02.000001Z', 'E6 E5 E4 E2 E1'],
    ['activityDateTime gt 2026-03-01T10:00:02.000001Z', 'E6 E5 E4'],
    ['activityDateTime ge 2026-03-01T10:00:02.000001Z', 'E6 E5 E4 E3'],
    ['activityDateTime lt 2026-03-01T10:00:02.000001Z', 'E2 E1'],
    ['activityDateTime le 2026-03-01T10:00:02.000001Z', 'E3 E2 E1'],
    ['activityDateTime ge 2026-03-01T10:00:02Z', 'E6 E5 E4 E3'],
    ['activityDateTime lt 2026-03-01T11:00:02+01:00', 'E2 E1'],
    ["activityDateTime ge '2026-03-01T10:00:04Z'", 'E6 E5'],
    ['activityDateTime lt 2026-03-02', 'E6 E5 E4 E3 E2 E1']
  ]
  for (const [filter, expected] of cases) t.equal(await sources(filter), expected, filter)
})

t.test('names and operators are not case sensitive; values of eq are', async t => {
  const { jobId } = await sixEntries()
  const sources = async (filter: string): Promise<string> => (await readAll(logs(filter))).map(entry => entry.sourceIdentity.id).join(' ')
  t.equal(await sources(`JOBID EQ '${jobId}' AND STATUSINFO/STATUS EQ 'FAILURE'`), 'E5 E2')
  t.equal(await sources(`jobid eq '${jobId}' and SourceIdentity/DisplayName eq 'ada lovelace'`), '')
  t.equal(await sources(`jobId eq '${jobId.toUpperCase()}'`), '', 'job ids compare exactly')
})

t.test('precedence: not, then and, then or; parentheses first', async t => {
  const { jobId } = await sixEntries()
  const sources = async (filter: string): Promise<string> =>
    (await readAll(logs(`jobId eq '${jobId}' and (${filter})`))).map(entry => entry.sourceIdentity.id).join(' ')
  t.equal(await sources("sourceIdentity/id eq 'E1' or sourceIdentity/id eq 'E2' and statusInfo/status eq 'success'"), 'E1', 'and before or')
  t.equal(await sources("(sourceIdentity/id eq 'E1' or sourceIdentity/id eq 'E2') and statusInfo/status eq 'success'"), 'E1')
  t.equal(await sources("(sourceIdentity/id eq 'E1' or sourceIdentity/id eq 'E2') and statusInfo/status eq 'failure'"), 'E2')
  t.equal(await sources("not statusInfo/status eq 'success' and not errorCode eq null"), 'E5 E4 E2', 'not binds tighter than and')
  t.equal(await sources("not (statusInfo/status eq 'success' or errorCode ne null)"), 'E3')
  t.equal(await sources("not (errorCode eq 'InvalidDomain')"), 'E6 E5 E4 E3 E1', 'entries without an error code are not "unknown"')
  t.equal(await sources("not contains(sourceIdentity/displayName, 'o')"), 'E5 E4', 'nor entries without a display name')
  // The job condition outside binds everything inside the parentheses: another job's entries never leak in through or.
  const other = await sixEntries()
  t.equal((await readAll(logs(`jobId eq '${jobId}' and (sourceIdentity/id eq 'E1' or sourceIdentity/id eq 'E2')`))).length, 2, 'other jobs stay out')
  t.equal((await readAll(logs(`(jobId eq '${jobId}' or jobId eq '${other.jobId}') and sourceIdentity/id eq 'E1'`))).length, 2)
})

t.test('hostile $filter text: a 400 or a correct empty answer, never a 500, never SQL', async t => {
  const { jobId } = await sixEntries()
  const before = (await db.query('SELECT count(*)::int AS n FROM provisioning_logs')).rows[0].n
  const empty = [
    "sourceIdentity/id eq ''' OR 1=1 --'",
    "sourceIdentity/id eq 'E1''; DELETE FROM provisioning_logs; --'",
    "sourceIdentity/displayName eq '/* */ OR ''a''=''a'",
    "sourceIdentity/displayName eq 'Ada\\' OR 1=1'",
    "contains(sourceIdentity/displayName, '%'' OR ''%''=''')",
    "sourceIdentity/id eq 'E1\u0000'",
    "sourceIdentity/id eq 'Е1'",
    "sourceIdentity/id eq 'E1\u200b'",
    "sourceIdentity/displayName eq '🙂'",
    "sourceIdentity/id eq '$1'",
    "errorCode eq 'x'')) OR ((''1''=''1'"
  ]
  for (const filter of empty) {
    const response = await read(logs(`jobId eq '${jobId}' and ${filter}`))
    if (response.statusCode === 400) {
      assertGraphError(t, response, 400, 'BadRequest')
      continue
    }
    t.equal(response.statusCode, 200, filter)
    t.strictSame(response.json().value, [], `${filter}: nothing matches`)
  }
  const refused = [
    `jobId eq '${jobId}'; DROP TABLE provisioning_logs`,
    `jobId eq '${jobId}' -- and statusInfo/status eq 'failure'`,
    `jobId eq '${jobId}' /* comment */`,
    `jobId eq '${jobId}' or 1 eq 1`,
    `jobId eq '${jobId}' or true`,
    "jobId eq 'x' union select * from sync_jobs",
    "id eq '1' or '1'='1'",
    "cycleId eq '00000000-0000-0000-0000-000000000000'' OR ''1''=''1'",
    'jobId eq "x"',
    "jobId eq 'unterminated",
    "jobId eq 'x' \u00a0and statusInfo/status eq 'failure'",
    "jobＩd eq 'x'",
    "provisioning_logs.job_id eq 'x'",
    "job_id eq 'x'"
  ]
  for (const filter of refused) {
    const error = assertGraphError(t, await read(logs(filter)), 400, 'BadRequest')
    t.match(error.details, [{ code: 'invalidFilter', target: '$filter', position: Number }], `${filter}: says where`)
  }
  t.equal((await db.query('SELECT count(*)::int AS n FROM provisioning_logs')).rows[0].n, before, 'the log is as it was')
})

t.test('random text never makes a 500', async t => {
  const pieces = ['jobId', 'id', 'eq', 'ne', 'gt', 'and', 'or', 'not', '(', ')', ',', "'x'", "''", "'", 'null', 'contains(', 'startswith(',
    '2026-01-01T00:00:00Z', '2026-02-30', 'activityDateTime', 'statusInfo/status', "'failure'", ';', '--', '/*', '%', '\\', 'é', ' ', '"', '$', '1']
  let seed = 42
  const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
  const statuses = new Set<number>()
  for (let i = 0; i < 300; i++) {
    const filter = Array.from({ length: 1 + random(8) }, () => pieces[random(pieces.length)]).join(random(2) === 0 ? ' ' : '')
    const response = await read(logs(filter))
    statuses.add(response.statusCode)
    if (response.statusCode !== 200 && response.statusCode !== 400) t.fail(`${filter}: ${response.statusCode} ${response.body}`)
  }
  t.ok(statuses.has(400), 'mostly refused')
})

t.test('unsupported filters are refused with the position and what is supported', async t => {
  const cases: Array<[string, number, RegExp]> = [
    ["displayName eq 'x'", 1, /'displayName' cannot be filtered on; supported: properties id, jobId, cycleId/],
    ["jobId eq 'x' and durationInMilliseconds gt 1", 18, /'durationInMilliseconds' cannot be filtered on/],
    ["jobId has 'x'", 7, /expected an operator \(eq, ne, gt, ge, lt, le\)/],
    ["statusInfo/status gt 'failure'", 19, /takes eq or ne/],
    ["statusInfo/status eq 'failed'", 22, /is one of 'success', 'failure', 'skipped', 'warning'/],
    ["endswith(jobId, 'x')", 1, /supported: contains, startswith/],
    ["sourceIdentity/any(s: s/id eq 'x')", 1, /not a supported function/],
    ['activityDateTime ge yesterday', 21, /date-time/],
    ["id eq 'x'", 7, /holds UUIDs/],
    ["(jobId eq 'x'", 14, /expected '\)'/]
  ]
  for (const [filter, position, reason] of cases) {
    const error = assertGraphError(t, await read(logs(filter)), 400, 'BadRequest')
    t.match(error.message, new RegExp(`^\\$filter, at character ${position}: `), `${filter}: the position in the message`)
    t.match(error.message, reason, `${filter}: what`)
    t.match(error.details, [{ code: 'invalidFilter', target: '$filter', position, message: reason }], `${filter}: in the details`)
  }
  // An unencoded + in a URL's query is a space; the answer says so.
  const plus = assertGraphError(t, await read('/auditLogs/provisioning?$filter=activityDateTime ge 2026-01-01T10:00:00+02:00'.replaceAll(' ', '%20')), 400)
  t.match(plus.message, /%2B/)
  const encoded = await read(logs('activityDateTime ge 2026-01-01T10:00:00+02:00'))
  t.equal(encoded.statusCode, 200, 'written %2B it is read')
})

t.test('$top: 1 to 1,000, default 50', async t => {
  const jobId = newJobId()
  await seed(Array.from({ length: 60 }, (_, i) => ({ jobId, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() })))
  const first = await page(logs(`jobId eq '${jobId}'`))
  t.equal(first.value.length, 50, 'Graph\'s default page size')
  t.ok(first['@odata.nextLink'], 'and a next page')
  t.equal((await page(logs(`jobId eq '${jobId}'`, '$top=1'))).value.length, 1)
  const all = await page(logs(`jobId eq '${jobId}'`, '$top=1000'))
  t.equal(all.value.length, 60)
  t.notOk('@odata.nextLink' in all, 'no next page after the last')
  const exact = await page(logs(`jobId eq '${jobId}'`, '$top=60'))
  t.notOk('@odata.nextLink' in exact, 'a page that ends exactly at the last entry has no next link')
  for (const query of ['$top=0', '$top=1001', '$top=-1', '$top=ten', '$top=1&$top=2', '$orderby=id', '$orderby=activityDateTime%20sideways', '$format=xml', '$select=id', '$count=true']) {
    assertGraphError(t, await read(`/auditLogs/provisioning?${query}`), 400, 'BadRequest')
  }
  assertGraphError(t, await read(`/auditLogs/provisioning?$filter=${'a'.repeat(2001)}`), 400, 'BadRequest')
})

t.test('$orderby activityDateTime asc or desc; ties in time by id', async t => {
  const jobId = newJobId()
  // Entries of one batch share their time; three batches of four.
  await seed(Array.from({ length: 12 }, (_, i) => ({ jobId, at: `2026-02-0${1 + Math.floor(i / 4)}T00:00:00Z`, sourceId: `E${i}` })))
  const expected = (await db.query(`SELECT id FROM provisioning_logs WHERE job_id = $1 ORDER BY activity_at, id`, [jobId])).rows.map(row => row.id)
  const ids = async (more: string): Promise<string[]> => (await readAll(logs(`jobId eq '${jobId}'`, more))).map(entry => entry.id)
  t.strictSame(await ids('$top=5'), [...expected].reverse(), 'newest first by default')
  t.strictSame(await ids('$top=5&$orderby=activityDateTime%20desc'), [...expected].reverse())
  t.strictSame(await ids('$top=5&$orderby=activityDateTime%20asc'), expected, 'oldest first')
  t.strictSame(await ids('$top=3&$orderby=ActivityDateTime%20ASC'), expected, 'not case sensitive')
  t.strictSame(await ids('$orderby=activityDateTime'), [...expected].reverse(), 'without a direction: desc')
  const first = await page(logs(`jobId eq '${jobId}'`, '$top=5&$orderby=activityDateTime%20asc'))
  const link = new URL(first['@odata.nextLink'])
  t.equal(link.searchParams.get('$orderby'), 'activityDateTime asc', 'the next link keeps the order')
  t.equal(link.searchParams.get('$filter'), `jobId eq '${jobId}'`, 'the filter')
  t.equal(link.searchParams.get('$top'), '5', 'and the page size')
})

t.test('paging is stable while new entries arrive', async t => {
  for (const order of ['desc', 'asc'] as const) {
    const jobId = newJobId()
    const base = Date.now() - 60_000
    // Twenty entries in five batches sharing a time, as the worker writes them.
    const original = await seed(Array.from({ length: 20 }, (_, i) => ({ jobId, at: new Date(base + Math.floor(i / 4) * 1000).toISOString() })))
    let url: string | undefined = logs(`jobId eq '${jobId}'`, `$top=3&$orderby=activityDateTime%20${order}`)
    const seen: string[] = []
    const arrived: string[] = []
    while (url !== undefined) {
      const body = await page(url)
      seen.push(...body.value.map((entry: any) => entry.id))
      // Between pages, a batch is processed: three entries, newer than everything. (Oldest
      // first, pages chase the new entries; they stop arriving once the old ones are read.)
      if (seen.length < 20) arrived.push(...await seed(Array.from({ length: 3 }, () => ({ jobId, at: new Date().toISOString() }))))
      url = body['@odata.nextLink'] === undefined ? undefined : pathOf(body['@odata.nextLink'])
    }
    t.equal(new Set(seen).size, seen.length, `${order}: no entry twice`)
    t.ok(original.every(id => seen.includes(id)), `${order}: every entry that was there is read`)
    if (order === 'desc') t.strictSame(seen.filter(id => !original.includes(id)), [], 'desc: newer entries are before the first page, not in the middle')
    else {
      t.strictSame(new Set(seen.slice(0, 20)), new Set(original), 'asc: the old entries first')
      t.strictSame(new Set(seen.slice(20)), new Set(arrived), 'then every new one')
    }
  }
})

t.test('a $skiptoken this service did not issue is a 400', async t => {
  const jobId = newJobId()
  await seed(Array.from({ length: 4 }, (_, i) => ({ jobId, at: `2026-01-01T00:00:0${i}Z` })))
  const first = await page(logs(`jobId eq '${jobId}'`, '$top=2'))
  const token = new URL(first['@odata.nextLink']).searchParams.get('$skiptoken')!
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const tampered = [
    'garbage',
    `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`,
    token.slice(0, -4),
    encode(['2026-02-30T00:00:00.000000Z', randomUUID()]),
    encode(['0000-01-01T00:00:00Z', randomUUID()]),
    encode(['2026-01-01T00:00:00Z', "x' OR 1=1 --"]),
    encode(["2026-01-01T00:00:00Z'; --", randomUUID()]),
    encode({ at: '2026-01-01T00:00:00Z' }),
    encode([1, 2])
  ]
  for (const skiptoken of tampered) {
    const error = assertGraphError(t, await read(logs(`jobId eq '${jobId}'`, `$top=2&$skiptoken=${encodeURIComponent(skiptoken)}`)), 400, 'BadRequest')
    t.match(error.details, [{ target: '$skiptoken' }], skiptoken)
  }
  t.equal((await page(pathOf(first['@odata.nextLink']))).value.length, 2, 'the real one reads the next page')
})

t.test('CSV: every matching entry, via $format or Accept, quoted and safe to open', async t => {
  const jobId = newJobId()
  // More than two of the download's pages (1,000 entries each).
  await db.query(
    `INSERT INTO provisioning_logs (id, request_id, operation_index, job_id, cycle_id, change_id, activity_at, action, status, source_id, source_display_name, modified_properties, steps)
     SELECT gen_random_uuid(), gen_random_uuid(), i, $1, gen_random_uuid(), gen_random_uuid(), '2026-01-01'::timestamptz + i * interval '1 second',
       'update', CASE WHEN i % 10 = 0 THEN 'failure' ELSE 'success' END, 'B' || i, 'Bulk ' || i, '[["department","A","B"]]', '[]'
     FROM generate_series(1, 2300) AS i`, [jobId])
  const [tricky] = await seed([{
    jobId,
    at: '2027-01-01T00:00:00Z',
    sourceId: '=HYPERLINK("http://evil.example","click")',
    sourceDisplayName: 'Smith, "Jo"\r\nsecond line',
    errorCode: '+SUM(A1)',
    reason: '@cmd',
    status: 'failure',
    targetDisplayName: '-2+3',
    modifiedProperties: [{ displayName: 'displayName', oldValue: null, newValue: 'Smith, "Jo"' }],
    steps: [{ name: 'EntryImport', provisioningStepType: 'import', status: 'success', description: 'Received' }]
  }])

  const byFormat = await read(logs(`jobId eq '${jobId}'`, '$format=csv&$top=5'))
  t.equal(byFormat.statusCode, 200)
  t.match(byFormat.headers['content-type'], /^text\/csv; charset=utf-8/)
  t.match(byFormat.headers['content-disposition'], /attachment; filename="provisioningLogs.csv"/)
  t.ok(byFormat.body.startsWith(`${LOG_CSV_COLUMNS.join(',')}\r\n`), 'a header row, CRLF')
  const rows = parseCsv(byFormat.body, { columns: true }) as Array<Record<string, string>>
  t.equal(rows.length, 2301, 'every entry, not a page of $top')
  t.equal(rows[0]!.id, tricky, 'newest first')
  t.strictSame(rows[0], {
    id: tricky,
    activityDateTime: '2027-01-01T00:00:00.000000Z',
    jobId,
    cycleId: rows[0]!.cycleId,
    changeId: rows[0]!.changeId,
    provisioningAction: 'create',
    status: 'failure',
    errorCode: "'+SUM(A1)",
    reason: "'@cmd",
    sourceId: '\'=HYPERLINK("http://evil.example","click")',
    sourceDisplayName: 'Smith, "Jo"\r\nsecond line',
    targetId: '',
    targetDisplayName: "'-2+3",
    durationInMilliseconds: '0',
    modifiedProperties: '[{"displayName":"displayName","oldValue":null,"newValue":"Smith, \\"Jo\\""}]',
    provisioningSteps: '[{"name":"EntryImport","provisioningStepType":"import","status":"success","description":"Received"}]'
  }, 'formulas defused with an apostrophe; commas, quotes and line breaks quoted')
  t.ok(byFormat.body.includes('"Smith, ""Jo""\r\nsecond line"'), 'RFC 4180 quoting, as written')
  t.equal(new Set(rows.map(row => row.id)).size, 2301, 'no entry twice across the pages')

  const byAccept = await read(logs(`jobId eq '${jobId}' and statusInfo/status eq 'failure'`, '$orderby=activityDateTime%20asc'), { ...auth([ROLE.provisioningLogRead]), accept: 'text/csv' })
  t.match(byAccept.headers['content-type'], /^text\/csv/)
  const failures = parseCsv(byAccept.body, { columns: true }) as Array<Record<string, string>>
  t.equal(failures.length, 231, 'the filter applies')
  t.equal(failures[0]!.sourceId, 'B10', 'and the order')
  t.ok(failures.every(row => row.status === 'failure'))

  const preferJson = await read(logs(`jobId eq '${jobId}'`, '$top=1'), { ...auth([ROLE.provisioningLogRead]), accept: 'application/json, text/csv;q=0.5' })
  t.match(preferJson.headers['content-type'], /^application\/json/, 'JSON when the client prefers it')
  const anything = await read(logs(`jobId eq '${jobId}'`, '$top=1'), { ...auth([ROLE.provisioningLogRead]), accept: '*/*' })
  t.match(anything.headers['content-type'], /^application\/json/, '*/* is JSON')
  const jsonFormat = await read(logs(`jobId eq '${jobId}'`, '$top=1&$format=json'), { ...auth([ROLE.provisioningLogRead]), accept: 'text/csv' })
  t.match(jsonFormat.headers['content-type'], /^application\/json/, '$format wins over Accept')

  const none = await read(logs("jobId eq 'no such job'", '$format=csv'))
  t.equal(none.body, `${LOG_CSV_COLUMNS.join(',')}\r\n`, 'no entries: the header alone')
  assertGraphError(t, await read(logs('jobId eq', '$format=csv')), 400, 'BadRequest')
})

t.test('roles: ProvisioningLog.Read.All or AuditLog.Read.All', async t => {
  assertGraphError(t, await read('/auditLogs/provisioning', {}), 401, 'InvalidAuthenticationToken')
  assertGraphError(t, await read('/auditLogs/provisioning', { authorization: 'Bearer not-a-token' }), 401, 'InvalidAuthenticationToken')
  assertGraphError(t, await read('/auditLogs/provisioning', auth([ROLE.userRead, ROLE.syncReadWrite])), 403, 'Authorization_RequestDenied')
  assertGraphError(t, await read('/auditLogs/provisioning?$format=csv', auth([])), 403, 'Authorization_RequestDenied')
  t.equal((await read('/auditLogs/provisioning?$top=1', auth([ROLE.provisioningLogRead]))).statusCode, 200)
  t.equal((await read('/auditLogs/provisioning?$top=1', auth(['AuditLog.Read.All']))).statusCode, 200)
})

t.test('served under /v1.0 and /beta, links keeping the prefix', async t => {
  const jobId = newJobId()
  await seed(Array.from({ length: 3 }, (_, i) => ({ jobId, at: `2026-01-01T00:00:0${i}Z` })))
  for (const prefix of ['', '/v1.0', '/beta']) {
    for (const slash of ['', '/']) {
      const body = await page(`${prefix}/auditLogs/provisioning${slash}?$filter=${encodeURIComponent(`jobId eq '${jobId}'`)}&$top=2`)
      t.equal(body.value.length, 2, `${prefix}/auditLogs/provisioning${slash}`)
      t.equal(body['@odata.context'], `http://localhost:80${prefix}/$metadata#auditLogs/provisioning`)
      t.equal(new URL(body['@odata.nextLink']).pathname, `${prefix}/auditLogs/provisioning${slash}`, 'the next link keeps the path')
      t.equal((await page(pathOf(body['@odata.nextLink']))).value.length, 1)
    }
  }
})

t.test('a download the client walks away from gives its connection back', async t => {
  const jobId = newJobId()
  await seed(Array.from({ length: 5 }, (_, i) => ({ jobId, at: `2026-01-01T00:00:0${i}Z` })))
  const single = createPool(app.db.options.connectionString!, 1, 'download-abandoned')
  t.teardown(() => single.end())
  const pages = allProvisioningLogs(single, { order: 'desc', filter: { kind: 'compare', field: 'jobId', operator: 'eq', value: jobId } }, { pageSize: 2 })
  const first = await pages.next()
  t.equal((first.value as unknown[]).length, 2, 'a first page')
  await pages.return(undefined)
  const { rows: [state] } = await single.query('SELECT current_setting(\'transaction_isolation\') AS isolation, now() = statement_timestamp() AS own_transaction')
  t.equal(state.own_transaction, true, 'the one connection is free and out of the download\'s transaction')
  t.equal(state.isolation, 'read committed')
  let pagesRead = 0
  for await (const page of allProvisioningLogs(single, { order: 'asc', filter: { kind: 'compare', field: 'jobId', operator: 'eq', value: jobId } }, { pageSize: 2 })) pagesRead += page.length
  t.equal(pagesRead, 5, 'a whole download in pages of 2')
})
