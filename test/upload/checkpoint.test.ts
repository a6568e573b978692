import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { Checkpoint } from '../../src/upload/checkpoint.js'
import { RowSet } from '../../src/upload/row-ranges.js'
import { clientCredentialsToken, staticToken } from '../../src/upload/token-provider.js'
import { tempDir } from './helpers.js'

const upload = { sha256: 'abc', size: 10, mapping: 'm1', url: 'http://service/jobs/j/bulkUpload' }
const request = (first: number, last: number, id: string): { rows: Array<[number, number]>, requestId: string, location: string, operations: number } =>
  ({ rows: [[first, last]], requestId: id, location: `http://service/bulkUploads/${id}`, operations: last - first + 1 })

t.test('a checkpoint journals accepted requests and resumes from them, even after a torn last line', async t => {
  const file = path.join(await tempDir(t), 'people.csv.checkpoint.jsonl')
  const first = Checkpoint.open(file, upload)
  t.throws(() => Checkpoint.open(file, upload), /another upload \(process \d+\) is using this checkpoint/)
  first.recordAccepted(request(2, 51, 'r1'))
  first.recordAccepted(request(102, 151, 'r3'))
  first.close()
  appendFileSync(file, '{"accepted":[[52,1')

  const second = Checkpoint.open(file, upload)
  t.same(second.previous.map(accepted => accepted.requestId), ['r1', 'r3'])
  t.ok(second.acceptedRows.has(2) && second.acceptedRows.has(51) && !second.acceptedRows.has(52) && second.acceptedRows.has(151))
  t.equal(second.completed, false)
  second.recordAccepted(request(52, 101, 'r2'))
  second.markCompleted()
  second.close()
  t.notOk(existsSync(`${file}.lock`), 'the lock goes with the run')

  const third = Checkpoint.open(file, upload)
  t.equal(third.completed, true)
  t.equal(third.acceptedRows.size, 150)
  third.close()
  t.equal(readFileSync(file, 'utf8').split('\n').filter(line => line !== '').length, 5, 'header, three requests, completed: the torn line is gone')
})

t.test('an unfinished checkpoint of another upload is refused; a finished one is replaced; --start-over replaces any', async t => {
  const file = path.join(await tempDir(t), 'people.csv.checkpoint.jsonl')
  const unfinished = Checkpoint.open(file, upload)
  unfinished.recordAccepted(request(2, 3, 'r1'))
  unfinished.close()
  t.throws(() => Checkpoint.open(file, { ...upload, sha256: 'changed' }), { message: /belongs to an unfinished upload of a different CSV content .* pass --start-over/ })
  t.throws(() => Checkpoint.open(file, { ...upload, mapping: 'm2' }), /of the same CSV with a different mapping/)
  t.throws(() => Checkpoint.open(file, { ...upload, url: 'http://other/bulkUpload' }), /of the same CSV to another URL \(http:\/\/service\/jobs\/j\/bulkUpload\)/)
  const fresh = Checkpoint.open(file, { ...upload, sha256: 'changed' }, { startOver: true })
  t.same(fresh.previous, [])
  fresh.markCompleted()
  fresh.close()
  const replaced = Checkpoint.open(file, upload)
  t.same(replaced.previous, [], 'a finished checkpoint of another upload does not hold a new one back')
  replaced.close()
  writeFileSync(file, 'WorkerID,Name\n1,Ann\n')
  t.throws(() => Checkpoint.open(file, upload), /is not a checkpoint of scim-inbound upload \(line 1 is not JSON\)/)
})

t.test('a lock left by a process that is gone is taken over', async t => {
  const file = path.join(await tempDir(t), 'c.jsonl')
  writeFileSync(`${file}.lock`, '999999999')
  const checkpoint = Checkpoint.open(file, upload)
  t.equal(readFileSync(`${file}.lock`, 'utf8'), String(process.pid))
  checkpoint.close()
})

t.test('row sets merge ranges in any order', async t => {
  const rows = new RowSet()
  rows.add([[10, 20]])
  rows.add([[2, 5], [21, 30]])
  rows.add([[6, 9]])
  t.same(rows.toJSON(), [[2, 30]])
  rows.add([[40, 40]])
  t.same([rows.has(1), rows.has(2), rows.has(30), rows.has(31), rows.has(40)], [false, true, true, false, true])
  t.equal(rows.size, 30)
})

t.test('client credentials: a form-encoded grant, the token kept until shortly before it expires, renewed after a 401', async t => {
  const grants: URLSearchParams[] = []
  let answer: { status: number, body: unknown } = { status: 200, body: {} }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => { body += String(chunk) })
    req.on('end', () => {
      t.equal(req.headers['content-type'], 'application/x-www-form-urlencoded')
      grants.push(new URLSearchParams(body))
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body ?? { access_token: `token-${grants.length}`, token_type: 'Bearer', expires_in: 3600 }))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenant/oauth2/v2.0/token`
  let now = 1_000_000
  const provider = clientCredentialsToken({ tokenUrl, clientId: 'hr-app', clientSecret: 's3cret', scope: 'https://graph.microsoft.com/.default' }, { now: () => now })

  answer = { status: 200, body: undefined }
  t.same(await Promise.all([provider.token(), provider.token()]), ['token-1', 'token-1'], 'concurrent callers share one grant')
  t.same(Object.fromEntries(grants[0]!), { grant_type: 'client_credentials', client_id: 'hr-app', client_secret: 's3cret', scope: 'https://graph.microsoft.com/.default' })
  now += 50 * 60_000
  t.equal(await provider.token(), 'token-1', 'still valid well before expiry')
  now += 6 * 60_000
  t.equal(await provider.token(), 'token-2', 'renewed in the last minutes of its hour')
  t.equal(provider.invalidate(), true)
  t.equal(await provider.token(), 'token-3', 'renewed after the service refused it')

  answer = { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } }
  provider.invalidate()
  await t.rejects(provider.token(), /the token endpoint refused the client credentials \(401\): invalid_client: AADSTS7000215/)
  t.equal(staticToken('Bearer abc').invalidate(), false)
  t.equal(await staticToken('Bearer abc').token(), 'abc')
})
