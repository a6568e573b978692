import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t, { type Test } from 'tap'
import { parse } from 'csv-parse/sync'
import { auth, token } from '../helpers/service.js'
import { acceptedOperations, directoryUsers, EXAMPLES, FIXTURES, runUpload, tempDir, UPLOAD_ROLES, uploadJob, uploadService } from './helpers.js'

const CSV_EXTENSION = 'urn:ietf:params:scim:schemas:extension:csv:1.0:User'
const NO_STACK = /\n\s+at /

/** A semicolon file as Excel writes it: BOM, CRLF, diacritics, a quoted field over two lines, and bad rows. */
const PEOPLE = '\uFEFFWorkerID;Status;UPN;First;Last;Hired;Note\r\n' +
  '1001;Active;zoe@contoso.com;Zoë;Ångström;2020-01-31;"two\r\nlines"\r\n' +
  '1002;Active;;Max;Muster;2020-02-01;x\r\n' +
  '1003;Active;ann@contoso.com;Ann;Lee;31.01.2020;x\r\n' +
  '1004;Active;bob@contoso.com;Bob\r\n' +
  '1005;Inactive;eve@fabrikam.com;Eve;Ünal;2021-03-03;x\r\n'

const MAPPING = {
  description: 'people.csv',
  attributes: {
    externalId: 'WorkerID',
    userName: 'UPN',
    active: { column: 'Status', equals: 'Active' },
    'name.givenName': 'First',
    'name.familyName': 'Last',
    displayName: { template: '{First} {Last}' },
    [`${CSV_EXTENSION}:HireDate`]: { column: 'Hired', type: 'dateTime' }
  }
}

async function files (t: Test): Promise<{ dir: string, csv: string, mapping: string }> {
  const dir = await tempDir(t)
  writeFileSync(path.join(dir, 'people.csv'), PEOPLE)
  writeFileSync(path.join(dir, 'mapping.json'), JSON.stringify(MAPPING, null, 2))
  return { dir, csv: path.join(dir, 'people.csv'), mapping: path.join(dir, 'mapping.json') }
}

t.test('bad rows are reported with row, column and reason, and nothing is sent', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const { csv, mapping, dir } = await files(t)
  const result = await runUpload(t, [csv, '--mapping', mapping, '--url', job.url, '--report', path.join(dir, 'report.csv')])
  t.equal(result.code, 1)
  t.match(result.stderr, 'row 4, column UPN (userName): is empty; userName is required\n')
  t.match(result.stderr, `row 5, column Hired (${CSV_EXTENSION}:HireDate): "31.01.2020" is not an ISO 8601 date such as 2024-01-31 or 2024-01-31T09:00:00Z\n`)
  t.match(result.stderr, 'row 6: has 4 fields; the header has 7\n')
  t.match(result.stderr, 'Checked 5 rows of ')
  t.match(result.stderr, '(delimiter ";"): 2 valid rows, 3 invalid rows.')
  t.match(result.stderr, 'Nothing was sent: 3 rows are invalid. Fix them, or pass --skip-invalid to send the 2 valid rows.')
  t.equal((await acceptedOperations(service.db, job.jobId)).length, 0)
  const report = parse(readFileSync(path.join(dir, 'report.csv')), { columns: true }) as Array<Record<string, string>>
  t.same(report.map(line => [line.row, line.externalId, line.column, line.status]), [['4', '1002', 'UPN', 'invalid'], ['5', '1003', 'Hired', 'invalid'], ['6', '', '', 'invalid']])
})

t.test('--skip-invalid sends the valid rows; --wait and --report give the service\'s failures with their rows', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const { csv, mapping, dir } = await files(t)
  const result = await runUpload(t, [csv, '--mapping', mapping, '--url', job.url, '--skip-invalid', '--report', path.join(dir, 'report.csv')])
  t.equal(result.code, 3, result.stderr)
  t.match(result.stdout, 'Accepted: 2 rows in 1 request')
  t.match(result.stdout, '3 invalid rows skipped.')
  t.match(result.stdout, /create\s+1\s+1\s+0/)
  t.match(result.stdout, /Failed records \(1\):\n {2}row 7, externalId 1005: InvalidDomain — /)
  t.same((await acceptedOperations(service.db, job.jobId)).map(op => op.row), [2, 7], 'only the valid rows were sent')

  const report = parse(readFileSync(path.join(dir, 'report.csv')), { columns: true }) as Array<Record<string, string>>
  t.equal(report.length, 4)
  t.match(report[3], { row: '7', externalId: '1005', action: 'create', status: 'failure', errorCode: 'InvalidDomain', reason: /fabrikam\.com/, requestId: /^[0-9a-f-]{36}$/ })
  t.match(report[1], { row: '5', reason: `${CSV_EXTENSION}:HireDate: "31.01.2020" is not an ISO 8601 date such as 2024-01-31 or 2024-01-31T09:00:00Z` })

  const zoe = (await directoryUsers(service.db, job.directoryId)).get('1001')
  t.match(zoe, { userPrincipalName: 'zoe@contoso.com', displayName: 'Zoë Ångström', givenName: 'Zoë', surname: 'Ångström', accountEnabled: true }, 'diacritics arrive intact')
})

t.test('--dry-run prints the first requests and sends nothing; it needs no URL or token', async t => {
  const { csv, mapping } = await files(t)
  const result = await runUpload(t, [csv, '--mapping', mapping, '--dry-run', '--skip-invalid', '--batch-size', '1'], { SCIM_INBOUND_TOKEN: '' })
  t.equal(result.code, 0, result.stderr)
  t.match(result.stderr, 'Dry run: nothing is sent; the first requests would be:')
  const requests = JSON.parse(result.stdout)
  t.equal(requests.length, 2)
  t.same(requests[0], {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: [{
      method: 'POST',
      bulkId: 'row-2',
      path: '/Users',
      data: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', CSV_EXTENSION],
        externalId: '1001',
        userName: 'zoe@contoso.com',
        active: true,
        name: { givenName: 'Zoë', familyName: 'Ångström' },
        displayName: 'Zoë Ångström',
        [CSV_EXTENSION]: { HireDate: '2020-01-31' }
      }
    }],
    failOnErrors: null
  })
  t.equal(requests[1].Operations[0].bulkId, 'row-7')
  const strict = await runUpload(t, [csv, '--mapping', mapping, '--dry-run'])
  t.equal(strict.code, 1, 'invalid rows fail a dry run as they would fail the run')
})

t.test('--init-mapping writes a starter mapping from the header that uploads as it is', async t => {
  const dir = await tempDir(t)
  const out = path.join(dir, 'starter.json')
  const csv = path.join(FIXTURES, 'csv-with-5-records.txt')
  const result = await runUpload(t, ['--init-mapping', csv, '--mapping', out, '--domain', 'contoso.com'])
  t.equal(result.code, 0, result.stderr)
  t.match(result.stderr, 'note: userName is built as {UserID}@contoso.com')
  t.match(result.stderr, `Wrote ${out}. Try it: scim-inbound upload ${csv} --mapping ${out} --dry-run`)
  const starter = JSON.parse(readFileSync(out, 'utf8'))
  t.match(starter.attributes, {
    externalId: 'WorkerID',
    userName: { template: '{UserID}@contoso.com' },
    active: { column: 'WorkerStatus', equals: 'Active' },
    'name.givenName': 'FirstName',
    'enterprise:manager.value': 'ManagerID',
    [`${CSV_EXTENSION}:HireDate`]: { column: 'HireDate', type: 'dateTime' },
    [`${CSV_EXTENSION}:OnLeave`]: { column: 'OnLeave', type: 'boolean' }
  })
  const again = await runUpload(t, ['--init-mapping', csv, '--mapping', out])
  t.equal(again.code, 2)
  t.match(again.stderr, `${out} exists; choose another --mapping path`)
  const dry = await runUpload(t, [csv, '--mapping', out, '--dry-run'])
  t.equal(dry.code, 0, dry.stderr)
  const printed = await runUpload(t, ['--init-mapping', csv])
  t.same(JSON.parse(printed.stdout), starter, 'without --mapping the starter goes to stdout')
})

t.test('a malformed line stops the run before anything is sent, naming its row', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const dir = await tempDir(t)
  writeFileSync(path.join(dir, 'broken.csv'), 'WorkerID,UserID\n1,a\n2,"b"c\n3,d\n')
  writeFileSync(path.join(dir, 'm.json'), JSON.stringify({ attributes: { externalId: 'WorkerID', userName: { template: '{UserID}@contoso.com' } } }))
  const result = await runUpload(t, [path.join(dir, 'broken.csv'), '--mapping', path.join(dir, 'm.json'), '--url', job.url])
  t.equal(result.code, 1)
  t.equal(result.stderr, 'scim-inbound upload: row 3: text after the closing quote of a quoted field (column "UserID"): a quote inside a quoted field is written twice ("")\n')
  t.equal((await acceptedOperations(service.db, job.jobId)).length, 0)
})

t.test('wrong usage and unusable input get a message, never a stack trace', async t => {
  const { csv, mapping, dir } = await files(t)
  const closed = createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise(resolve => closed.close(resolve))
  const url = `http://127.0.0.1:${port}/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs/j/bulkUpload`
  writeFileSync(path.join(dir, 'bad.json'), '{"attributes": {"externalId": "WorkerID",}}')
  const cases: Array<[string[], Record<string, string>, number, RegExp | string]> = [
    [[], {}, 2, 'which CSV file? Give its path.'],
    [[csv, '--url', url], {}, 2, '--mapping is required'],
    [[csv, '--mapping', mapping, '--url', url, '--batch-size', '0'], {}, 2, '--batch-size takes a whole number above 0, not "0"'],
    [[csv, '--mapping', mapping, '--url', 'http://127.0.0.1:1/jobs/j'], {}, 2, 'is not a bulkUpload URL'],
    [[csv, '--mapping', mapping, '--url', url], { SCIM_INBOUND_TOKEN: '' }, 2, 'no token: pass --token (or set SCIM_INBOUND_TOKEN)'],
    [[csv, '--mapping', mapping, '--url', url, '--token-url', 'http://127.0.0.1:1/token'], {}, 2, '--token-url needs --client-id and --client-secret'],
    [[csv, '--colour'], {}, 2, "Unknown option '--colour'"],
    [[csv, '--mapping', path.join(dir, 'bad.json'), '--url', url], {}, 1, /bad\.json: is not valid JSON: /],
    [[path.join(dir, 'missing.csv'), '--mapping', mapping, '--url', url], {}, 1, /missing\.csv: no such file/],
    [[path.join(FIXTURES, 'csv-with-2-records.csv'), '--mapping', path.join(EXAMPLES, 'attribute-mapping.json'), '--url', url, '--max-retries', '1', '--checkpoint', path.join(dir, 'c.jsonl')], {}, 1,
      /rows 2–3: network error: ECONNREFUSED; gave up after 2 attempts/]
  ]
  for (const [args, env, code, message] of cases) {
    const result = await runUpload(t, args, env)
    t.equal(result.code, code, args.join(' '))
    t.match(result.stderr, message)
    t.notMatch(result.stderr, NO_STACK)
  }
})

t.test('client credentials: a token from the token endpoint, renewed once it expires; --schema-update declares the extension attributes', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const grants: URLSearchParams[] = []
  const tokenServer = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => { body += String(chunk) })
    req.on('end', () => {
      grants.push(new URLSearchParams(body))
      // The first token has expired by the next request, whatever the machine's speed; the
      // second lasts an hour, so it must be kept for the rest of the run.
      const expiresIn = grants.length === 1 ? 0 : 3600
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token_type: 'Bearer', expires_in: expiresIn, access_token: token(UPLOAD_ROLES, 'hr-app') }))
    })
  })
  await new Promise<void>(resolve => tokenServer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => tokenServer.close())
  const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/tenant/oauth2/v2.0/token`
  const dir = await tempDir(t)
  const mapping = path.join(dir, 'extended.json')
  const base = JSON.parse(readFileSync(path.join(EXAMPLES, 'attribute-mapping.json'), 'utf8'))
  writeFileSync(mapping, JSON.stringify({
    attributes: {
      ...base.attributes,
      [`${CSV_EXTENSION}:HireDate`]: { column: 'HireDate', type: 'dateTime' },
      [`${CSV_EXTENSION}:OnLeave`]: { column: 'OnLeave', type: 'boolean' },
      [`${CSV_EXTENSION}:Location`]: 'Location'
    }
  }))
  const result = await runUpload(t, [path.join(FIXTURES, 'csv-with-1000-records.csv'), '--mapping', mapping, '--url', job.url, '--batch-size', '20', '--concurrency', '1',
    '--token-url', tokenUrl, '--client-id', 'hr-app', '--scope', 'https://graph.microsoft.com/.default', '--schema-update', '--checkpoint', path.join(dir, 'c.jsonl')],
  { SCIM_INBOUND_TOKEN: '', SCIM_INBOUND_CLIENT_SECRET: 'from-the-environment' })
  t.equal(result.code, 0, result.stderr)
  t.match(result.stderr, `Schema update: declared ${CSV_EXTENSION}:HireDate (dateTime), ${CSV_EXTENSION}:OnLeave (boolean), ${CSV_EXTENSION}:Location (string).`)
  t.same(Object.fromEntries(grants[0]!), { grant_type: 'client_credentials', client_id: 'hr-app', client_secret: 'from-the-environment', scope: 'https://graph.microsoft.com/.default' })
  t.equal(grants.length, 2, 'the expired token was renewed, and the renewed one kept')
  t.equal((await acceptedOperations(service.db, job.jobId)).length, 1000)

  const schema = await service.app.inject({ method: 'GET', url: `${job.jobUrl}/schema`, headers: auth() })
  t.match(schema.json().extensionAttributes, [
    { schema: CSV_EXTENSION, name: 'HireDate', type: 'dateTime' },
    { schema: CSV_EXTENSION, name: 'OnLeave', type: 'boolean' },
    { schema: CSV_EXTENSION, name: 'Location', type: 'string' }
  ])
  const again = await runUpload(t, [path.join(FIXTURES, 'csv-with-1000-records.csv'), '--mapping', mapping, '--url', job.url, '--schema-update', '--checkpoint', path.join(dir, 'c.jsonl')])
  t.match(again.stderr, 'Schema update: the job already declares the mapping\'s 3 custom extension attributes.')
  t.notOk(existsSync(path.join(dir, 'c.jsonl.lock')))
})
