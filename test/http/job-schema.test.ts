import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { auth, createJob } from '../helpers/service.js'
import { ENTERPRISE, changes, del, logRows, outcomes, post, provisioningFixture, run, userByEmployeeId, type ProvisioningJob } from '../helpers/provisioning.js'
import { ENTRA_SAMPLES } from '../helpers/entra-samples.js'

// GET|PUT …/jobs/{jobId}/schema: the job's attribute mappings, scoping filter and extension
// attributes; a saved schema is what the workers map records with.
const { app, db } = await provisioningFixture(t)

async function getSchema (job: ProvisioningJob): Promise<any> {
  const response = await app.inject({ method: 'GET', url: `${job.jobUrl}/schema`, headers: auth() })
  t.equal(response.statusCode, 200, response.body)
  return response.json()
}

async function putSchema (job: ProvisioningJob, body: unknown, roles?: string[]): Promise<{ statusCode: number, body: any }> {
  const response = await app.inject({ method: 'PUT', url: `${job.jobUrl}/schema`, headers: auth(roles), payload: body as object })
  return { statusCode: response.statusCode, body: response.json() }
}

const direct = (name: string, target: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ targetAttributeName: target, source: { type: 'Attribute', name }, mappingType: 'Direct', ...extra })
const expression = (text: string, target: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ targetAttributeName: target, source: { type: 'Function', expression: text }, mappingType: 'Expression', ...extra })
const constant = (value: string, target: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ targetAttributeName: target, source: { type: 'Constant', name: value }, mappingType: 'Constant', ...extra })

/** The default mappings with some replaced or added, by target. */
async function withMappings (job: ProvisioningJob, replaced: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Promise<any> {
  const current = await getSchema(job)
  const targets = new Set(replaced.map(mapping => mapping.targetAttributeName))
  const attributeMappings = [...current.attributeMappings.filter((mapping: any) => !targets.has(mapping.targetAttributeName)), ...replaced]
  const saved = await putSchema(job, { ...current, attributeMappings, ...extra })
  t.equal(saved.statusCode, 200, JSON.stringify(saved.body))
  return saved.body
}

const person = (externalId: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ externalId, userName: `${externalId.toLowerCase()}@contoso.com`, displayName: `User ${externalId}`, name: { givenName: 'Ada', familyName: externalId }, ...extra })

t.test('a new job reads its template\'s default schema', async t => {
  const job = await createJob(app, { start: false })
  const schema = await getSchema(job)
  t.equal(schema.version, 1)
  t.equal(schema.lastModifiedDateTime, null)
  t.same(schema.scope, null)
  t.same(schema.extensionAttributes, [])
  t.match(schema.attributeMappings.find((m: any) => m.targetAttributeName === 'employeeId'),
    { mappingType: 'Direct', flowType: 'Always', matchingPriority: 1, source: { type: 'Attribute', name: 'externalId' } })
  t.match(schema.attributeMappings.find((m: any) => m.targetAttributeName === 'mailNickname'),
    { mappingType: 'Expression', source: { type: 'Function', name: 'Item', expression: 'Item(Split([userName], "@"), 1)' } }, 'expressions shown parsed, with their text')
  const response = await app.inject({ method: 'GET', url: `${job.jobUrl}/schema`, headers: auth(['Synchronization.Read.All']) })
  t.equal(response.statusCode, 200, 'readable with Synchronization.Read.All')
})

t.test('a schema with problems is refused with each problem, where it is and why', async t => {
  const job = await createJob(app, { start: false })
  const { statusCode, body } = await putSchema(job, {
    attributeMappings: [
      direct('externalId', 'employeeId'),
      direct('userName', 'userPrincipalName'),
      direct('userName', 'userPrincipalName'),
      direct('nickName', 'favouriteColour'),
      direct('name.middle', 'givenName'),
      expression('Join(" ", [name.givenName], [title]', 'displayName'),
      expression('ToLower([department])', 'department'),
      expression('join(",", [title])', 'jobTitle'),
      expression('Replace([title], , "(a+)+", , "", , )', 'city'),
      { targetAttributeName: 'companyName', mappingType: 'None' }
    ],
    scope: { groups: [{ clauses: [{ sourceOperandName: 'userType', operatorName: 'REGEX MATCH', targetOperand: { values: ['(x+)*y'] } }, { sourceOperandName: 'active', operatorName: 'IS TRUE', targetOperand: { values: ['1'] } }] }] }
  })
  t.equal(statusCode, 400)
  t.equal(body.error.code, 'InvalidSchema')
  const byPointer = new Map<string, any>(body.error.details.map((detail: any) => [detail.target, detail]))
  t.match(byPointer.get('/attributeMappings/2/targetAttributeName'), { message: /already mapped by attributeMappings\/1/, targetAttributeName: 'userPrincipalName' })
  t.match(byPointer.get('/attributeMappings/3/targetAttributeName'), { message: /'favouriteColour' is not an attribute of the directory's users/ })
  t.match(byPointer.get('/attributeMappings/4/source/name'), { message: /'middle' is not a sub-attribute of 'name'/ })
  t.match(byPointer.get('/attributeMappings/5/source/expression'), { position: 36, message: /expected ',' or '\)' in Join/ }, 'an unclosed call, at the end of the text')
  t.match(byPointer.get('/attributeMappings/6/source/expression'), { position: 9, message: /'department' is not a SCIM user attribute/ }, 'an unknown attribute, where it is written')
  t.match(byPointer.get('/attributeMappings/7/source/expression'), { position: 1, message: /names are case-sensitive, did you mean 'Join'/ })
  t.match(byPointer.get('/attributeMappings/8/source/expression'), { position: 20, message: /repeats a group that itself repeats/ }, 'a pattern that could hang a worker is refused when saved')
  t.match(byPointer.get('/attributeMappings/9/defaultValue'), { message: /needs one/ })
  t.match(byPointer.get('/attributeMappings'), { message: /no mapping has a matchingPriority/ })
  t.match(byPointer.get('/scope/groups/0/clauses/0/targetOperand/values/0'), { message: /repeats a group that itself repeats/ })
  t.match(byPointer.get('/scope/groups/0/clauses/1/targetOperand/values'), { message: /IS TRUE compares with nothing/ })
  t.equal((await getSchema(job)).version, 1, 'nothing saved')

  const shape = await putSchema(job, { attributeMappings: [{ targetAttributeName: 'employeeId', mappingType: 'Sometimes' }] })
  t.equal(shape.statusCode, 400, 'an unknown mapping type is a 400 from the request schema')
  const forbidden = await putSchema(job, { attributeMappings: [] }, ['Synchronization.Read.All'])
  t.equal(forbidden.statusCode, 403)
})

t.test('a saved schema is versioned, audited, and refused when edited from a stale version', async t => {
  const job = await createJob(app, { start: false })
  const saved = await withMappings(job, [constant('Contoso Ltd', 'companyName')])
  t.equal(saved.version, 2)
  t.ok(Date.parse(saved.lastModifiedDateTime) > 0)
  t.match(saved.attributeMappings.find((m: any) => m.targetAttributeName === 'companyName'), { mappingType: 'Constant', source: { type: 'Constant', name: 'Contoso Ltd' } })
  t.same(await getSchema(job), saved, 'GET reads what PUT answered')

  const stale = await putSchema(job, { ...saved, version: 1 })
  t.equal(stale.statusCode, 409)
  t.match(stale.body.error.message, /at version 2/)

  const { rows } = await db.query(`SELECT modified_properties, additional_details FROM directory_audits WHERE job_id = $1 AND activity = 'Update synchronization job schema'`, [job.jobId])
  t.equal(rows.length, 1, 'one audit entry for the one save')
  t.match(rows[0].modified_properties, [{ displayName: 'schemaVersion', oldValue: '1', newValue: '2' }])
  t.same(rows[0].additional_details, [{ key: 'mappingsChanged', value: 'companyName' }], 'only the edited mapping is named as changed')

  const respaced = (await getSchema(job)).attributeMappings.map((m: any) => m.targetAttributeName === 'mailNickname'
    ? { ...m, source: { ...m.source, expression: 'Item( Split( [userName] ,"@" ) ,1 )' } }
    : m)
  const again = await putSchema(job, { ...(await getSchema(job)), attributeMappings: respaced })
  t.equal(again.statusCode, 200)
  const { rows: [last] } = await db.query(`SELECT additional_details FROM directory_audits WHERE job_id = $1 AND activity = 'Update synchronization job schema' ORDER BY activity_at DESC LIMIT 1`, [job.jobId])
  t.notOk(last.additional_details.some((detail: any) => detail.key === 'mappingsChanged'), 'an expression only spaced differently is not a changed mapping')
})

t.test('workers map records with the saved schema: expressions, constants, add-only, defaults and None', async t => {
  const job = await createJob(app)
  await withMappings(job, [
    expression('Join(" ", [name.givenName], ToUpper([name.familyName]))', 'displayName'),
    constant('Contoso Ltd', 'companyName', { flowType: 'ObjectAddOnly' }),
    direct('title', 'jobTitle', { defaultValue: 'Employee' }),
    direct(`${ENTERPRISE}:department`, 'department', { flowType: 'ObjectAddOnly' }),
    { targetAttributeName: 'city', mappingType: 'None', defaultValue: 'Redmond' },
    expression('Redact([phoneNumbers[type eq "mobile"].value])', 'mobilePhone')
  ])
  const created = await run(app, job, [post(person('M1', { [ENTERPRISE]: { department: 'Sales' }, phoneNumbers: [{ type: 'mobile', value: '+1 555 0101' }] }))])
  t.strictSame(outcomes(created), [['M1', 'create', 'success', null]])
  let user = await userByEmployeeId(app, job, 'M1')
  t.match(user, { displayName: 'Ada M1', companyName: 'Contoso Ltd', jobTitle: 'Employee', department: 'Sales', city: 'Redmond', mobilePhone: '+1 555 0101' })
  const [row] = await logRows(db, created.requestId ?? created.id)
  t.same(changes(row!).mobilePhone, [null, '[Redact]'], 'a redacted value is written but not logged')

  await run(app, job, [post(person('M1', { title: 'Engineer', [ENTERPRISE]: { department: 'Research' } }))])
  user = await userByEmployeeId(app, job, 'M1')
  t.match(user, { jobTitle: 'Engineer', department: 'Sales', companyName: 'Contoso Ltd', city: 'Redmond' }, 'add-only targets keep their first value')
  await run(app, job, [post(person('M1'))])
  t.equal((await userByEmployeeId(app, job, 'M1')).jobTitle, 'Engineer', 'a default value applies on create only')
})

t.test('matching falls back by precedence: employeeId, then userPrincipalName', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('P1'))])
  const original = await userByEmployeeId(app, job, 'P1')
  await withMappings(job, [direct('userName', 'userPrincipalName', { matchingPriority: 2 })])
  const status = await run(app, job, [post({ ...person('P1-NEW'), userName: 'p1@contoso.com' })])
  t.strictSame(outcomes(status), [['P1-NEW', 'update', 'success', null]])
  const matched = await userByEmployeeId(app, job, 'P1-NEW')
  t.equal(matched?.id, original.id, 'the same user, found by its userPrincipalName, now carries the new employeeId')
  t.equal(await userByEmployeeId(app, job, 'P1'), undefined)
})

t.test('scoping filter: out-of-scope records are skipped; a provisioned user that leaves scope is disabled', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('S1', { userType: 'Employee' })), post(person('S2', { userType: 'Employee' }))])
  await withMappings(job, [], {
    scope: { groups: [{ clauses: [{ sourceOperandName: 'userType', operatorName: 'EQUALS', targetOperand: { values: ['Employee'] } }] }, { clauses: [{ sourceOperandName: 'title', operatorName: 'ENDS_WITH', targetOperand: { values: ['Intern'] } }] }] }
  })
  const status = await run(app, job, [
    post(person('S3', { userType: 'Contractor' })),
    post(person('S4', { userType: 'Contractor', title: 'Summer Intern' })),
    post(person('S1', { userType: 'Contractor' })),
    post(person('S2', { userType: 'Employee', title: 'Lead' }))
  ])
  t.strictSame(outcomes(status), [
    ['S3', 'other', 'skipped', null],
    ['S4', 'create', 'success', null],
    ['S1', 'disable', 'success', null],
    ['S2', 'update', 'success', null]
  ], 'groups are ORed')
  t.equal(await userByEmployeeId(app, job, 'S3'), undefined, 'an out-of-scope record creates nothing')
  t.equal((await userByEmployeeId(app, job, 'S1')).accountEnabled, false)

  await app.inject({ method: 'PATCH', url: `${job.jobUrl}/settings`, headers: auth(), payload: { skipOutOfScopeDeletions: true } })
  const kept = await run(app, job, [post(person('S2', { userType: 'Contractor' }))])
  t.strictSame(outcomes(kept), [['S2', 'other', 'skipped', null]])
  t.equal((await userByEmployeeId(app, job, 'S2')).accountEnabled, true, 'skipOutOfScopeDeletions keeps the user as it is')
  const deleted = await run(app, job, [del('S2')])
  t.strictSame(outcomes(deleted), [['S2', 'delete', 'success', null]], 'a DELETE is not subject to scope')
})

t.test('a mapping that cannot be evaluated for a record fails that operation only', async t => {
  const job = await createJob(app)
  await withMappings(job, [expression('FormatDateTime([title], , "yyyyMMdd", "yyyy-MM-dd")', 'jobTitle')])
  const status = await run(app, job, [post(person('E1', { title: '20260131' })), post(person('E2', { title: 'not a date' }))])
  t.strictSame(outcomes(status), [['E1', 'create', 'success', null], ['E2', 'other', 'failure', 'ExpressionEvaluationFailed']])
  t.match(status.operations[1].reason ?? status.operations[1].errorMessage ?? '', /jobTitle/)
  t.equal((await userByEmployeeId(app, job, 'E1')).jobTitle, '2026-01-31')
})

t.test('SelectUniqueValue picks the first candidate no other user holds, in the directory or earlier in the batch', async t => {
  const job = await createJob(app)
  await withMappings(job, [expression('SelectUniqueValue(Join("", ToLower([name.givenName]), "@contoso.com"), Join("", ToLower([name.givenName]), ".", ToLower([name.familyName]), "@contoso.com"))', 'userPrincipalName')])
  const first = await run(app, job, [post(person('U1')), post(person('U2')), post(person('U3'))])
  t.strictSame(outcomes(first).map(o => o[2]), ['success', 'success', 'success'])
  t.equal((await userByEmployeeId(app, job, 'U1')).userPrincipalName, 'ada@contoso.com')
  t.equal((await userByEmployeeId(app, job, 'U2')).userPrincipalName, 'ada.u2@contoso.com', 'the first candidate was taken earlier in the same request')
  t.equal((await userByEmployeeId(app, job, 'U3')).userPrincipalName, 'ada.u3@contoso.com')

  const again = await run(app, job, [post(person('U1', { title: 'Lead' }))])
  t.strictSame(outcomes(again), [['U1', 'update', 'success', null]])
  t.equal((await userByEmployeeId(app, job, 'U1')).userPrincipalName, 'ada@contoso.com', 'a user keeps the value it holds')

  const clash = await run(app, job, [post({ ...person('U2'), externalId: 'U2-bis', userName: 'u2bis@contoso.com' })])
  t.strictSame(outcomes(clash), [['U2-bis', 'other', 'failure', 'EntryConflict']], 'every candidate is held by someone else')
  t.match(clash.operations[0].reason ?? '', /every candidate is already taken \('ada@contoso.com', 'ada.u2@contoso.com'\)/)

  const refused = await putSchema(job, { ...(await getSchema(job)), attributeMappings: [direct('externalId', 'employeeId', { matchingPriority: 1 }), expression('SelectUniqueValue([userName], [displayName])', 'displayName')] })
  t.equal(refused.statusCode, 400, 'only for attributes the directory keeps unique')
  t.match(refused.body.error.details[0], { target: '/attributeMappings/1/source/expression', message: /userPrincipalName, mailNickname/ })
})

t.test('extension attributes: declared from a sample, mappable, type-checked; undeclared ones are logged as ignored', async t => {
  const SAP = 'urn:ietf:params:scim:schemas:extension:sap:2.0:User'
  const sample = JSON.parse(readFileSync(path.join(ENTRA_SAMPLES, 'Extended-SCIM-bulk-request-Core+Enterprise.json'), 'utf8'))
  const job = await createJob(app)

  const early = await putSchema(job, { ...(await getSchema(job)), attributeMappings: [...(await getSchema(job)).attributeMappings.filter((m: any) => m.targetAttributeName !== 'department'), direct(`${SAP}:payGrade`, 'department')] })
  t.equal(early.statusCode, 400, 'an undeclared extension attribute cannot be mapped')
  t.match(early.body.error.details[0].message, /not a declared extension attribute/)

  const fromSample = async (body: unknown): Promise<any> => {
    const response = await app.inject({ method: 'POST', url: `${job.jobUrl}/schema/extensions:fromSample`, headers: auth(), payload: body as object })
    t.equal(response.statusCode, 200, response.body)
    return response.json()
  }
  const declared = await fromSample(sample)
  t.same(declared.added, [
    { schema: SAP, name: 'payGrade', type: 'string', multiValued: false },
    { schema: SAP, name: 'hireDate', type: 'dateTime', multiValued: false },
    { schema: SAP, name: 'onLeave', type: 'string', multiValued: false }
  ], 'types read from the sample\'s values')
  t.equal(declared.schema.version, 2)
  const again = await fromSample(sample)
  t.same(again.added, [], 'nothing new the second time')
  t.equal(again.schema.version, 2, 'and no new version')

  await withMappings(job, [direct(`${SAP}:payGrade`, 'department')])
  const externalIds = sample.Operations.map((op: any) => op.data.externalId)
  // The sample's users are on its own domain; here they get the directory's.
  const onContoso = (data: Record<string, unknown>): Record<string, unknown> => ({
    ...Object.fromEntries(Object.entries(data).filter(([key]) => key.toLowerCase() !== 'username')),
    userName: `${String(data.externalId)}@contoso.com`
  })
  const status = await run(app, job, sample.Operations.map((op: any) => post(onContoso(op.data), op.bulkId)))
  t.ok(outcomes(status).every(o => o[2] === 'success'), JSON.stringify(outcomes(status)))
  t.equal((await userByEmployeeId(app, job, externalIds[0])).department, sample.Operations[0].data[SAP].payGrade, 'a declared extension attribute maps like any other')

  const mixed = await run(app, job, [
    post(person('X1', { [SAP]: { payGrade: 'Level-3', costCode: 'CC-7' } })),
    post(person('X2', { [SAP]: { payGrade: 'Level-1', hireDate: 'last Tuesday' } }))
  ])
  t.strictSame(outcomes(mixed), [['X1', 'create', 'success', null], ['X2', 'other', 'failure', 'InvalidExtensionAttributeValue']])
  t.match(mixed.operations[1].reason ?? '', /hireDate must be an ISO 8601 date-time/)
  const [row] = await logRows(db, mixed.requestId ?? mixed.id)
  t.match(row!.steps.find(step => step.name === 'EntryImportIgnoredAttributes'), { status: 'warning', description: new RegExp(`${SAP}:costCode`) }, 'the undeclared attribute is listed in the log entry')
})
