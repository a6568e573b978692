import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { compareDirectory, expectedUsers, readFixture } from './expected-directory.js'
import { acceptedOperations, directoryUsers, EXAMPLES, FIXTURES, runUpload, tempDir, uploadJob, uploadService } from './helpers.js'
import { startProxy } from './proxy.js'

t.test('a 429 storm, a 503, a cut connection and a 502 are ridden out; the data comes from the real service, each row once', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const proxy = await startProxy(t, service.baseUrl)
  const throttled = JSON.stringify({ error: { code: 'TooManyRequests', message: 'The job takes at most 2 requests per second (setting maxRequestsPerSecond).' } })
  proxy.policy = attempt => {
    if (attempt <= 12) return { kind: 'respond', status: 429, headers: { 'retry-after': '1' }, body: throttled }
    if (attempt === 13) return { kind: 'respond', status: 503, headers: { 'retry-after': '1' } }
    if (attempt === 14) return { kind: 'reset' }
    if (attempt === 15) return { kind: 'respond', status: 502, body: 'Bad Gateway' }
    return { kind: 'forward' }
  }
  const startedAt = Date.now()
  const result = await runUpload(t, [path.join(FIXTURES, 'csv-with-1000-records.csv'), '--mapping', path.join(EXAMPLES, 'attribute-mapping.json'),
    '--url', proxy.url(job.uploadUrl), '--batch-size', '100', '--concurrency', '4', '--wait', '--checkpoint', path.join(await tempDir(t), 'c.jsonl')])
  t.equal(result.code, 0, result.stderr)
  t.match(result.stderr, /rows [\d–]+: 429 The job takes at most 2 requests per second \(setting maxRequestsPerSecond\)\.; retrying in 1\.0 s/)
  t.ok(Date.now() - startedAt >= 3000, 'Retry-After was honoured, all senders held back together')
  t.match(result.stdout, /Accepted: 1,000 rows in 10 requests/)
  t.ok(proxy.attempts >= 25, `every throttled or failed attempt was retried (${proxy.attempts} attempts)`)

  const operations = await acceptedOperations(service.db, job.jobId)
  t.equal(operations.length, 1000)
  t.equal(new Set(operations.map(op => op.row)).size, 1000, 'no row accepted twice')
  compareDirectory(t, await directoryUsers(service.db, job.directoryId), expectedUsers(readFixture('csv-with-1000-records.csv')))
})

t.test('rows of one externalId reach the directory in file order, with many requests in flight and a network that reorders them', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const proxy = await startProxy(t, service.baseUrl)
  proxy.policy = () => ({ kind: 'forward', delayMs: Math.random() * 60 })
  const dir = await tempDir(t)
  const lines = ['WorkerID,UserID,FirstName,LastName,JobTitle']
  for (let version = 1; version <= 10; version++) {
    for (let worker = 1; worker <= 20; worker++) lines.push(`${worker},w${worker},Ann,Lee ${worker},v${version}`)
  }
  writeFileSync(path.join(dir, 'versions.csv'), lines.join('\n') + '\n')
  writeFileSync(path.join(dir, 'mapping.json'), JSON.stringify({
    attributes: { externalId: 'WorkerID', userName: { template: '{UserID}@contoso.com' }, displayName: { template: '{FirstName} {LastName}' }, title: 'JobTitle' }
  }))
  const result = await runUpload(t, [path.join(dir, 'versions.csv'), '--mapping', path.join(dir, 'mapping.json'), '--url', proxy.url(job.uploadUrl), '--batch-size', '5', '--concurrency', '8', '--wait'])
  t.equal(result.code, 0, result.stderr)

  const operations = await acceptedOperations(service.db, job.jobId)
  t.equal(operations.length, 200)
  const sequences = [...new Set(operations.map(op => op.sequence))]
  const requestOrder = sequences.map(sequence => operations.find(op => op.sequence === sequence)!.row)
  t.not(JSON.stringify(requestOrder), JSON.stringify([...requestOrder].sort((a, b) => a - b)), 'requests were accepted out of file order')
  for (let worker = 1; worker <= 20; worker++) {
    const rows = operations.filter(op => op.externalId === String(worker)).map(op => op.row)
    t.same(rows, [...rows].sort((a, b) => a - b), `worker ${worker}: its rows accepted in file order`)
  }
  const users = await directoryUsers(service.db, job.directoryId)
  t.equal(users.size, 20)
  t.ok([...users.values()].every(user => user.jobTitle === 'v10'), 'every user ends with its last row')
})
