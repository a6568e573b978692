import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { adUser, adUsers, createAdDirectory, createAdJob } from '../helpers/ad.js'
import { accept, ENTERPRISE, logRows, outcomes, post, provisioningFixture, run, bulk } from '../helpers/provisioning.js'
import { auth, waitForRequest, type ProvisioningJob } from '../helpers/service.js'

// Manager references on both targets: pending across requests and across jobs writing one
// directory (either order), bulkId references, cycles, a manager removed from the record.
const { app, db, startWorker } = await provisioningFixture(t)
await startWorker() // a second worker: two jobs' batches really run at once

interface Target {
  kind: 'entra' | 'ad'
  /** A directory and two started jobs writing into it. */
  setup: () => Promise<[ProvisioningJob, ProvisioningJob]>
  /** The manager a user shows (entra: the manager's id; ad: its DN), null when none. */
  managerOf: (job: ProvisioningJob, employeeId: string) => Promise<string | null>
  /** What `managerOf` shows for this user as a manager. */
  referenceTo: (job: ProvisioningJob, employeeId: string) => Promise<string>
}

async function entraUser (job: ProvisioningJob, employeeId: string): Promise<any> {
  const response = await app.inject({ method: 'GET', url: `/directories/${job.directoryId}/users?employeeId=${encodeURIComponent(employeeId)}`, headers: auth() })
  return response.json().value[0]
}

async function secondApp (appInstance: FastifyInstance, directoryId: string, templateId: 'API2AAD' | 'API2AD'): Promise<ProvisioningJob> {
  const sp = await appInstance.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'Contractors', templateId, directoryId } })
  const servicePrincipalId = sp.json().id as string
  const jobId = sp.json().job.id as string
  const jobUrl = `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${jobId}`
  await appInstance.inject({ method: 'PATCH', url: `${jobUrl}/settings`, headers: auth(), payload: { notificationEmail: 'ops@contoso.com' } })
  await appInstance.inject({ method: 'POST', url: `${jobUrl}/start`, headers: auth() })
  return { directoryId, servicePrincipalId, jobId, jobUrl, uploadUrl: `${jobUrl}/bulkUpload` }
}

const targets: Target[] = [
  {
    kind: 'entra',
    setup: async () => {
      const directory = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Contoso', kind: 'entra', domains: ['contoso.com'] } })
      const directoryId = directory.json().id as string
      return [await secondApp(app, directoryId, 'API2AAD'), await secondApp(app, directoryId, 'API2AAD')]
    },
    managerOf: async (job, employeeId) => (await entraUser(job, employeeId))?.manager?.id ?? null,
    referenceTo: async (job, employeeId) => (await entraUser(job, employeeId)).id
  },
  {
    kind: 'ad',
    setup: async () => {
      const directoryId = await createAdDirectory(app)
      return [await createAdJob(app, directoryId), await secondApp(app, directoryId, 'API2AD')]
    },
    managerOf: async (job, employeeId) => (await adUser(app, job.directoryId, employeeId))?.manager ?? null,
    referenceTo: async (job, employeeId) => (await adUser(app, job.directoryId, employeeId)).distinguishedName
  }
]

const person = (externalId: string, manager?: string): Record<string, unknown> => ({
  externalId,
  userName: `${externalId.toLowerCase()}@contoso.com`,
  displayName: `Person ${externalId}`,
  name: { givenName: 'Person', familyName: externalId },
  active: true,
  ...(manager !== undefined ? { [ENTERPRISE]: { manager: { value: manager } } } : {})
})

for (const target of targets) {
  t.test(`${target.kind}: a pending reference is linked when the manager arrives through another job, in either order`, async t => {
    const [employees, contractors] = await target.setup()
    await run(app, employees, [post(person('R1', 'M1'))])
    t.equal(await target.managerOf(employees, 'R1'), null, 'waiting')
    const arrival = await run(app, contractors, [post(person('M1'))])
    t.equal(await target.managerOf(employees, 'R1'), await target.referenceTo(employees, 'M1'), 'linked when the manager arrives through the other job')
    const resolution = (await logRows(db, arrival.id)).find(row => row.operation_index === -1)
    t.match(resolution, { job_id: contractors.jobId, steps: [{ provisioningStepType: 'referenceResolution', status: 'success' }] }, 'logged as a reference resolution')

    await run(app, contractors, [post(person('M2'))])
    await run(app, employees, [post(person('R2', 'M2'))])
    t.equal(await target.managerOf(employees, 'R2'), await target.referenceTo(employees, 'M2'), 'a manager from the other job is linked at once')
  })

  t.test(`${target.kind}: reports and managers sent at once through two jobs all end up linked`, async t => {
    const [employees, contractors] = await target.setup()
    // Each job brings the other's managers; the two queues run in parallel on two workers.
    const requests = await Promise.all([
      accept(app, employees, bulk(Array.from({ length: 40 }, (_, i) => post(person(`E${i}`, `C${i}`))))),
      accept(app, contractors, bulk(Array.from({ length: 40 }, (_, i) => post(person(`C${i}`, `E${(i + 1) % 40}`)))))
    ])
    await waitForRequest(app, employees, requests[0])
    await waitForRequest(app, contractors, requests[1])
    for (let i = 0; i < 40; i += 13) {
      t.equal(await target.managerOf(employees, `E${i}`), await target.referenceTo(employees, `C${i}`), `E${i} → C${i}`)
      t.equal(await target.managerOf(employees, `C${i}`), await target.referenceTo(employees, `E${(i + 1) % 40}`), `C${i} → E${(i + 1) % 40}`)
    }
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${target.kind === 'ad' ? 'ad_users' : 'directory_users'} WHERE directory_id = $1 AND manager_id IS NULL`, [employees.directoryId])
    t.equal(rows[0].n, 0, 'no reference left pending')
  })

  t.test(`${target.kind}: bulkId references and a cycle across requests resolve; a manager removed from the record is unlinked`, async t => {
    const [job] = await target.setup()
    const first = await run(app, job, [post(person('A', 'bulkId:b'), 'a'), post(person('B'), 'b')])
    t.same(outcomes(first).map(([, action, status]) => [action, status]), [['create', 'success'], ['create', 'success']])
    t.equal(await target.managerOf(job, 'A'), await target.referenceTo(job, 'B'))
    await run(app, job, [post(person('B', 'A'))])
    t.equal(await target.managerOf(job, 'B'), await target.referenceTo(job, 'A'), 'A manages B manages A')
    t.equal(await target.managerOf(job, 'A'), await target.referenceTo(job, 'B'))

    const untouched = await run(app, job, [post({ ...person('A'), title: 'Lead' })])
    t.same(outcomes(untouched), [['A', 'update', 'success', null]])
    t.equal(await target.managerOf(job, 'A'), await target.referenceTo(job, 'B'), 'a record leaving the manager out keeps it, like any absent attribute')
    const removed = await run(app, job, [post({ ...person('A'), title: 'Lead', [ENTERPRISE]: { manager: { value: '' } } })])
    t.same(outcomes(removed), [['A', 'update', 'success', null]])
    t.equal(await target.managerOf(job, 'A'), null, 'a manager emptied in the record is unlinked')
    const [entry] = await logRows(db, removed.id)
    t.match(entry!.modified_properties, [{ displayName: 'manager', newValue: null }])
  })
}

t.test('ad: two jobs creating colliding names at once still get unique sAMAccountNames and cns', async t => {
  const directoryId = await createAdDirectory(app)
  const [one, two] = [await createAdJob(app, directoryId), await secondApp(app, directoryId, 'API2AD')]
  const smith = (prefix: string, i: number): Record<string, unknown> => ({ ...person(`${prefix}${i}`), displayName: `Smith ${prefix}${i}`, name: { givenName: 'John', familyName: 'Smith' } })
  const requests = await Promise.all([
    accept(app, one, bulk(Array.from({ length: 30 }, (_, i) => post(smith('P', i))))),
    accept(app, two, bulk(Array.from({ length: 30 }, (_, i) => post(smith('Q', i)))))
  ])
  const statuses = [await waitForRequest(app, one, requests[0]), await waitForRequest(app, two, requests[1])]
  t.ok(statuses.every(status => status.operations.every((op: any) => op.status === 'success')), 'every user created')
  const users = await adUsers(app, directoryId)
  t.equal(users.length, 60)
  t.equal(new Set(users.map(user => user.sAMAccountName.toLowerCase())).size, 60, 'sAMAccountNames unique')
  t.ok(users.some(user => user.sAMAccountName === 'jsmith') && users.some(user => user.sAMAccountName === 'jsmith57'), 'jsmith, josmith, johnsmith, then jsmith1 … jsmith57')
})
