import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { buildService, createJob, findUser, upload, waitForRequest, type ProvisioningJob } from '../helpers/service.js'
import { assertGraphError } from '../helpers/http.js'
import { ENTRA_SAMPLES } from '../helpers/entra-samples.js'

const EXTENDED = 'Extended-SCIM-bulk-request-Core+Enterprise.json'
const CSV = 'Sample-CSV-2-SCIM-payload.json'
const POSTMAN = 'Entra ID Inbound Provisioning.postman_collection.json'

/** Every SCIM BulkRequest among the fixtures: the JSON files that are one, and the Postman upload bodies. */
function fixturePayloads (): Map<string, string> {
  const payloads = new Map<string, string>()
  for (const file of readdirSync(ENTRA_SAMPLES).filter(name => name.endsWith('.json') && name !== POSTMAN).sort()) {
    const text = readFileSync(path.join(ENTRA_SAMPLES, file), 'utf8')
    if (/urn:ietf:params:scim:api:messages:2\.0:BulkRequest/i.test(text)) payloads.set(file, text)
  }
  const collection = JSON.parse(readFileSync(path.join(ENTRA_SAMPLES, POSTMAN), 'utf8'))
  const walk = (items: any[]): void => {
    for (const item of items) {
      if (Array.isArray(item.item)) walk(item.item)
      const raw = item.request?.body?.raw
      if (item.request?.method === 'POST' && typeof raw === 'string' && /BulkRequest/.test(raw)) payloads.set(`${POSTMAN}: ${String(item.name)}`, raw)
    }
  }
  walk(collection.item)
  return payloads
}

function postmanBody (name: string): string {
  const collection = JSON.parse(readFileSync(path.join(ENTRA_SAMPLES, POSTMAN), 'utf8'))
  return collection.item.find((item: any) => item.name === name).request.body.raw
}

const payloads = fixturePayloads()
const service = await buildService(t)
const { app } = service
await service.startWorker()

async function process (job: ProvisioningJob, body: string): Promise<any> {
  const response = await upload(app, job, body)
  if (response.statusCode !== 202) throw new Error(`upload answered ${response.statusCode}: ${response.body}`)
  return await waitForRequest(app, job, String(response.headers['request-id']), 8000)
}

const outcomes = (status: any): unknown[] => status.operations.map((op: any) => [op.externalId, op.action, op.status, op.errorCode])

t.test('the fixtures hold the known payloads', async t => {
  t.same([...payloads.keys()], [EXTENDED, CSV, `${POSTMAN}: SCIM bulk request upload`])
})

t.test('every fixture payload is accepted, with both media types', async t => {
  const job = await createJob(app, { start: false })
  for (const [name, body] of payloads) {
    t.equal((await upload(app, job, body)).statusCode, 202, `${name} (application/scim+json)`)
    t.equal((await upload(app, job, body, { 'content-type': 'application/json; charset=utf-8' })).statusCode, 202, `${name} (application/json)`)
  }
})

t.test('Extended sample on a contoso.com directory: every create fails with InvalidDomain, with a reason', async t => {
  const job = await createJob(app)
  const status = await process(job, payloads.get(EXTENDED)!)
  t.equal(status.state, 'completed')
  t.same(outcomes(status), [
    ['701984', 'create', 'failure', 'InvalidDomain'],
    ['807609', 'create', 'failure', 'InvalidDomain'],
    ['807600', 'create', 'failure', 'InvalidDomain']
  ])
  t.match(status.operations[0].reason, /example\.com/)
  t.match(status.operations[1].reason, /'DoeJane' has no domain/)
  t.match(status.operations[2].reason, /'DuckD' has no domain/)
  t.same(status.operations.map((op: any) => op.bulkId), ['897401c2-2de4-4b87-a97f-c02de3bcfc61', 'a6861ef2-c94b-4c96-85e0-27c59c0537eb', 'a6861ef2-c94b-4c96-85e0-27c59c0537eb'])
  t.equal(await findUser(app, job, '701984'), undefined, 'nobody created')
})

t.test('Extended sample on a directory that verifies example.com: bjensen is created', async t => {
  const job = await createJob(app, { domains: ['contoso.com', 'example.com'] })
  const status = await process(job, payloads.get(EXTENDED)!)
  t.same(outcomes(status), [
    ['701984', 'create', 'success', null],
    ['807609', 'create', 'failure', 'InvalidDomain'],
    ['807600', 'create', 'failure', 'InvalidDomain']
  ])
  const barbara = await findUser(app, job, '701984')
  t.equal(status.operations[0].targetId, barbara.id)
  t.match(barbara, {
    userPrincipalName: 'bjensen@example.com',
    mailNickname: 'bjensen',
    displayName: 'Babs Jensen',
    givenName: 'Barbara',
    surname: 'Jensen',
    mail: 'bjensen@example.com',
    jobTitle: 'Tour Guide',
    department: 'Tour Operations',
    companyName: 'Universal Studios',
    city: 'Hollywood',
    employeeType: 'Employee',
    businessPhones: ['555-555-5555'],
    accountEnabled: true,
    manager: null
  })
  // The manager (89607) arrives later: the waiting reference is linked then.
  const manager = await process(job, JSON.stringify({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: [{ method: 'POST', path: '/Users', data: { externalId: '89607', userName: 'jsmith@example.com', displayName: 'John Smith' } }]
  }))
  t.same(outcomes(manager), [['89607', 'create', 'success', null]])
  const john = await findUser(app, job, '89607')
  t.same((await findUser(app, job, '701984')).manager, { id: john.id })
})

t.test('CSV-2 sample: no displayName → MandatoryFieldsMissing; userNames without a domain → InvalidDomain', async t => {
  const job = await createJob(app)
  const status = await process(job, payloads.get(CSV)!)
  t.same(outcomes(status), [
    ['701984', 'create', 'failure', 'MandatoryFieldsMissing'],
    ['807609', 'create', 'failure', 'InvalidDomain'],
    ['807600', 'create', 'failure', 'InvalidDomain']
  ])
  t.match(status.operations[0].reason, /required attribute\(s\) displayName/)
  t.match(status.operations[1].reason, /'DoeJane' has no domain/)
})

t.test('Postman upload body: processed, each operation with a reason', async t => {
  const job = await createJob(app)
  const status = await process(job, payloads.get(`${POSTMAN}: SCIM bulk request upload`)!)
  t.equal(status.state, 'completed')
  t.same(outcomes(status), [
    ['521195', 'create', 'failure', 'InvalidDomain'],
    ['521193', 'create', 'failure', 'InvalidDomain'],
    ['521194', 'create', 'failure', 'InvalidDomain']
  ])
  for (const op of status.operations) t.match(op.reason, /has no domain/)
})

t.test("Postman 'Send non-SCIM data (failure)' → 400", async t => {
  const job = await createJob(app, { start: false })
  const body = postmanBody('Send non-SCIM data (failure)')
  t.equal(body.trim(), '{"name":"John Doe"}')
  const error = assertGraphError(t, await upload(app, job, body), 400, 'InvalidDataFormat')
  t.same(error.details.map((d: any) => d.target).sort(), ['/Operations', '/schemas'])
})
