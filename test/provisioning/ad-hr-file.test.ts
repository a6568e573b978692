import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { adUsers, createAdDirectory, createAdJob } from '../helpers/ad.js'
import { accept, bulk, ENTERPRISE, post, provisioningFixture } from '../helpers/provisioning.js'
import { waitForRequest } from '../helpers/service.js'
import { ENTRA_SAMPLES } from '../helpers/entra-samples.js'

// The 1,000-row HR export from Microsoft's samples, mapped as its AttributeMapping.psd1
// maps it (userName = UserID, which this directory needs qualified with its domain),
// provisioned into an ad directory in Entra-sized requests of 50.
const { app } = await provisioningFixture(t)
const FILE = path.join(ENTRA_SAMPLES, 'csv-with-1000-records.csv')

interface Row { [column: string]: string }

function readRows (): Row[] {
  // The file has no quoted fields (checked below), so a split is a faithful parse.
  const text = readFileSync(FILE, 'utf8')
  const [header, ...lines] = text.trim().split(/\r?\n/)
  const columns = header!.split(',')
  return lines.map(line => Object.fromEntries(line.split(',').map((value, i) => [columns[i], value])))
}

function toScim (row: Row, externalId: string): Record<string, unknown> {
  return {
    externalId,
    userName: `${row.UserID}@contoso.com`,
    displayName: row.FullName,
    name: { givenName: row.FirstName, familyName: row.LastName },
    active: row.WorkerStatus === 'Active',
    userType: row.WorkerType,
    title: row.JobTitle,
    addresses: [{ type: 'work', streetAddress: row.StreetAddress, locality: row.City, postalCode: row.ZipCode, country: row.CountryCode }],
    phoneNumbers: [{ type: 'work', value: row.OfficePhone }],
    [ENTERPRISE]: { employeeNumber: row.WorkerID, costCenter: row.CostCenter, organization: row.Company, division: row.Division, department: row.Department, manager: { value: row.ManagerID } }
  }
}

async function provisionAll (rows: Array<Record<string, unknown>>): Promise<{ directoryId: string, failures: unknown[] }> {
  const directoryId = await createAdDirectory(app)
  const job = await createAdJob(app, directoryId)
  const requestIds: string[] = []
  for (let i = 0; i < rows.length; i += 50) requestIds.push(await accept(app, job, bulk(rows.slice(i, i + 50).map(row => post(row)))))
  const failures: unknown[] = []
  for (const id of requestIds) {
    const status = await waitForRequest(app, job, id, 60_000)
    failures.push(...status.operations.filter((op: any) => op.status === 'failure'))
  }
  return { directoryId, failures }
}

const rows = readRows()
t.equal(rows.length, 1000, 'the file has 1,000 rows')
t.notOk(readFileSync(FILE, 'utf8').includes('"'), 'no quoted fields')

t.test('every row keyed by its WorkerID: one user per worker, the last row winning, managers linked where the manager is in the file', async t => {
  const { directoryId, failures } = await provisionAll(rows.map(row => toScim(row, row.WorkerID!)))
  t.same(failures, [], 'no record failed')
  const workers = new Set(rows.map(row => row.WorkerID))
  const users = await adUsers(app, directoryId)
  t.equal(users.length, workers.size, `${workers.size} distinct WorkerIDs (the file repeats some)`)
  t.equal(new Set(users.map(user => user.sAMAccountName.toLowerCase())).size, users.length, 'sAMAccountNames unique')
  t.ok(users.every(user => user.sAMAccountName.length <= 20 && !/["/\\[\]:;|=,+*?<>]/.test(user.sAMAccountName)), 'all valid for AD')
  const lastRow = new Map(rows.map(row => [row.WorkerID, row]))
  const byEmployeeId = new Map(users.map(user => [user.employeeID, user]))
  let linked = 0
  for (const user of users) {
    const managerId = lastRow.get(user.employeeID)!.ManagerID!
    const manager = managerId === user.employeeID ? undefined : byEmployeeId.get(managerId)
    if (manager === undefined) { t.equal(user.manager, null, `${user.employeeID as string}: no manager in the file`); continue }
    if (user.manager !== manager.distinguishedName) t.fail(`${user.employeeID as string} should report to ${manager.distinguishedName as string}`)
    linked++
  }
  t.ok(linked > 0, `${linked} managers linked`)
  t.equal(users.find(user => user.employeeID === rows.at(-1)!.WorkerID)!.cn, lastRow.get(rows.at(-1)!.WorkerID)!.FullName)
})

t.test('every row as its own person: 1,000 users, unique sAMAccountNames and cns', async t => {
  const { directoryId, failures } = await provisionAll(rows.map((row, i) => ({ ...toScim(row, `R${i + 1}`), userName: `${row.UserID}.${i + 1}@contoso.com`, [ENTERPRISE]: { manager: { value: `R${((i + 1) % 1000) + 1}` } } })))
  t.same(failures, [], 'no record failed')
  const users = await adUsers(app, directoryId)
  t.equal(users.length, 1000)
  t.equal(new Set(users.map(user => user.sAMAccountName.toLowerCase())).size, 1000, 'sAMAccountNames unique')
  t.equal(new Set(users.map(user => user.distinguishedName.toLowerCase())).size, 1000, 'DNs unique')
  t.equal(users.filter(user => user.manager !== null).length, 1000, 'every manager linked, each row managed by the next, the last by the first')
})
