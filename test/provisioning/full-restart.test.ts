import t from 'tap'
import { auth } from '../helpers/service.js'
import { createJob, del, outcomes, post, provisioningFixture, run, userByEmployeeId, waitFor, type ProvisioningJob } from '../helpers/provisioning.js'

// A restart with resetScope Full maps every user's last accepted record again with the job's
// current schema: a new mapping reaches users provisioned before it, from the records they
// were sent with (attributes no mapping read then included); only real changes are logged.
const { app, db } = await provisioningFixture(t)
const SAP = 'urn:ietf:params:scim:schemas:extension:sap:2.0:User'

const person = (externalId: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ externalId, userName: `${externalId.toLowerCase()}@contoso.com`, displayName: `User ${externalId}`, ...extra })

async function reapply (job: ProvisioningJob): Promise<Array<{ source_id: string, action: string, status: string }>> {
  const before = (await db.query('SELECT coalesce(max(sequence), 0) AS s FROM bulk_requests WHERE job_id = $1', [job.jobId])).rows[0].s
  const restarted = await app.inject({ method: 'POST', url: `${job.jobUrl}/restart`, headers: auth(), payload: { criteria: { resetScope: 'Full' } } })
  t.equal(restarted.statusCode, 204, restarted.body)
  const requests = await waitFor('the re-evaluation to complete', async () => {
    const { rows } = await db.query(`SELECT id, state, origin FROM bulk_requests WHERE job_id = $1 AND sequence > $2`, [job.jobId, before])
    return rows.length > 0 && rows.every(row => row.state === 'completed') ? rows : undefined
  })
  t.ok(requests.every(row => row.origin === 'resync'), 'made by the service itself')
  const { rows } = await db.query('SELECT source_id, action, status FROM provisioning_logs WHERE request_id = ANY($1::uuid[]) ORDER BY source_id', [requests.map(row => row.id)])
  return rows
}

t.test('a Full restart applies a changed schema to the users already provisioned, from their last records', async t => {
  const job = await createJob(app)
  await run(app, job, [
    post(person('R1', { title: 'pilot', [SAP]: { payGrade: 'Level-1' } })),
    post(person('R2', { title: 'navigator', [SAP]: { payGrade: 'Level-2' } })),
    post(person('R3', { title: 'CEO' })),
    post(person('R4', { title: 'steward' }))
  ])
  await run(app, job, [post(person('R2', { title: 'captain', [SAP]: { payGrade: 'Level-3' } })), del('R4')])

  const schema = (await app.inject({ method: 'GET', url: `${job.jobUrl}/schema`, headers: auth() })).json()
  const mappings = schema.attributeMappings.filter((m: any) => m.targetAttributeName !== 'jobTitle' && m.targetAttributeName !== 'department')
  mappings.push({ targetAttributeName: 'jobTitle', source: { type: 'Function', expression: 'ToUpper([title])' }, mappingType: 'Expression' })
  mappings.push({ targetAttributeName: 'department', source: { type: 'Attribute', name: `${SAP}:payGrade` }, mappingType: 'Direct' })
  const saved = await app.inject({
    method: 'PUT',
    url: `${job.jobUrl}/schema`,
    headers: auth(),
    payload: { ...schema, attributeMappings: mappings, extensionAttributes: [{ schema: SAP, name: 'payGrade', type: 'string' }] }
  })
  t.equal(saved.statusCode, 200, saved.body)

  const logged = await reapply(job)
  t.match(await userByEmployeeId(app, job, 'R1'), { jobTitle: 'PILOT', department: 'Level-1' }, 'an attribute sent before any mapping read it')
  t.match(await userByEmployeeId(app, job, 'R2'), { jobTitle: 'CAPTAIN', department: 'Level-3' }, 'from the last record, not the first')
  t.match(await userByEmployeeId(app, job, 'R3'), { jobTitle: 'CEO', department: null })
  t.ok((await userByEmployeeId(app, job, 'R4')).deletedDateTime !== null, 'a deleted user is not brought back')
  t.same(logged.map(row => [row.source_id, row.action, row.status]), [['R1', 'update', 'success'], ['R2', 'update', 'success']], 'only the users that changed are logged')

  const again = await reapply(job)
  t.same(again, [], 'a second Full restart finds nothing to change and logs nothing')

  const stats = (await app.inject({ method: 'GET', url: `${job.jobUrl}/statistics`, headers: auth() })).json()
  t.equal(stats.requests?.accepted ?? stats.bulkRequests?.accepted, 2, 'the service\'s own requests are not counted as accepted uploads')
})

t.test('a record sent again unchanged still becomes the user\'s last record', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('S1', { title: 'pilot' }))])
  const resent = await run(app, job, [post(person('S1', { title: 'pilot', [SAP]: { payGrade: 'Level-9' } }))])
  t.strictSame(outcomes(resent), [['S1', 'other', 'skipped', null]], 'nothing mapped changed')
  const schema = (await app.inject({ method: 'GET', url: `${job.jobUrl}/schema`, headers: auth() })).json()
  const mappings = [...schema.attributeMappings.filter((m: any) => m.targetAttributeName !== 'department'),
    { targetAttributeName: 'department', source: { type: 'Attribute', name: `${SAP}:payGrade` }, mappingType: 'Direct' }]
  const saved = await app.inject({ method: 'PUT', url: `${job.jobUrl}/schema`, headers: auth(), payload: { ...schema, attributeMappings: mappings, extensionAttributes: [{ schema: SAP, name: 'payGrade', type: 'string' }] } })
  t.equal(saved.statusCode, 200, saved.body)
  await reapply(job)
  t.equal((await userByEmployeeId(app, job, 'S1')).department, 'Level-9')
})
