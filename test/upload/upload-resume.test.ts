import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { waitFor } from '../helpers/processes.js'
import { compareDirectory, expectedUsers, readFixture } from './expected-directory.js'
import { acceptedOperations, directoryUsers, EXAMPLES, FIXTURES, runUpload, spawnUpload, tempDir, uploadJob, uploadService } from './helpers.js'
import { startProxy } from './proxy.js'

const MAPPING = path.join(EXAMPLES, 'attribute-mapping.json')

function acceptedLines (checkpoint: string): Array<{ accepted: Array<[number, number]>, requestId: string }> {
  if (!existsSync(checkpoint)) return []
  return readFileSync(checkpoint, 'utf8').split('\n').filter(line => line.includes('"accepted"')).map(line => JSON.parse(line))
}

async function copyFixture (t: Test): Promise<{ csv: string, checkpoint: string }> {
  const csv = path.join(await tempDir(t), 'workers.csv')
  copyFileSync(path.join(FIXTURES, 'csv-with-1000-records.csv'), csv)
  return { csv, checkpoint: `${csv}.checkpoint.jsonl` }
}

t.test('killed mid-run with requests in flight, then run again: it resumes and nothing is sent twice', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const proxy = await startProxy(t, service.baseUrl)
  // The first eight uploads go through; the rest hang, as a network that stopped answering.
  proxy.policy = attempt => attempt <= 8 ? { kind: 'forward' } : { kind: 'hold' }
  const { csv, checkpoint } = await copyFixture(t)
  const url = proxy.url(job.uploadUrl)

  const first = spawnUpload(t, [csv, '--mapping', MAPPING, '--url', url, '--concurrency', '4'])
  await waitFor('eight accepted requests in the checkpoint and more in flight', async () => acceptedLines(checkpoint).length === 8 && proxy.held >= 1, 30000)
  first.kill('SIGKILL')
  const killed = await first.output
  t.equal(killed.signal, 'SIGKILL')
  proxy.dropHeld()
  t.equal((await acceptedOperations(service.db, job.jobId)).length, 400, 'the service has the eight requests the checkpoint records')

  proxy.policy = () => ({ kind: 'forward' })
  const second = await runUpload(t, [csv, '--mapping', MAPPING, '--url', url, '--concurrency', '4', '--wait'])
  t.equal(second.code, 0, second.stderr)
  t.match(second.stdout, /Resumed: 400 rows had been accepted by an earlier run \(8 requests\)\./)
  t.match(second.stdout, /Accepted: 600 rows in 12 requests/)
  t.match(second.stdout, /Processed: 1,000 operations/, 'the wait covers the earlier run\'s requests too')

  const operations = await acceptedOperations(service.db, job.jobId)
  t.equal(operations.length, 1000)
  t.equal(new Set(operations.map(op => op.row)).size, 1000, 'no row was sent twice')
  t.equal(acceptedLines(checkpoint).length, 20)
  compareDirectory(t, await directoryUsers(service.db, job.directoryId), expectedUsers(readFixture('csv-with-1000-records.csv')))
})

t.test('Ctrl-C lets the requests in flight finish and records them; the next run sends the rest', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const proxy = await startProxy(t, service.baseUrl)
  proxy.policy = () => ({ kind: 'forward', delayMs: 150 })
  const { csv, checkpoint } = await copyFixture(t)
  const url = proxy.url(job.uploadUrl)

  const first = spawnUpload(t, [csv, '--mapping', MAPPING, '--url', url, '--concurrency', '3', '--wait'])
  await waitFor('three accepted requests', async () => acceptedLines(checkpoint).length >= 3, 30000)
  first.kill('SIGINT')
  const interrupted = await first.output
  t.equal(interrupted.code, 130, interrupted.stderr)
  t.match(interrupted.stderr, /Stopping: letting the requests in flight finish/)
  t.match(interrupted.stdout, /Interrupted\. Accepted requests are recorded in .*workers\.csv\.checkpoint\.jsonl; run the same command again to send the rest\./)
  const recorded = acceptedLines(checkpoint)
  const stored = await acceptedOperations(service.db, job.jobId)
  t.equal(new Set(stored.map(op => op.requestId)).size, recorded.length, 'every request the service accepted is in the checkpoint')
  t.ok(recorded.length < 20)

  const second = await runUpload(t, [csv, '--mapping', MAPPING, '--url', url, '--concurrency', '3'])
  t.equal(second.code, 0, second.stderr)
  const operations = await acceptedOperations(service.db, job.jobId)
  t.equal(operations.length, 1000)
  t.equal(new Set(operations.map(op => op.row)).size, 1000, 'no row was sent twice')
  t.notOk(existsSync(`${checkpoint}.lock`))
})

t.test('an unfinished checkpoint is not resumed for a changed file', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const proxy = await startProxy(t, service.baseUrl)
  proxy.policy = attempt => attempt <= 2 ? { kind: 'forward' } : { kind: 'respond', status: 403, body: '{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges."}}' }
  const { csv } = await copyFixture(t)
  const refused = await runUpload(t, [csv, '--mapping', MAPPING, '--url', proxy.url(job.uploadUrl), '--concurrency', '1'])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /rows 102–151: the service refused it \(403 Authorization_RequestDenied\): Insufficient privileges\.\nCheck the token/)
  t.notMatch(refused.stderr, /\n\s+at /, 'no stack trace')

  copyFileSync(path.join(FIXTURES, 'csv-with-2-records.csv'), csv)
  const changed = await runUpload(t, [csv, '--mapping', MAPPING, '--url', proxy.url(job.uploadUrl)])
  t.equal(changed.code, 1)
  t.match(changed.stderr, /belongs to an unfinished upload of a different CSV content \(the file changed since\)\. .*--start-over/)
  proxy.policy = () => ({ kind: 'forward' })
  const over = await runUpload(t, [csv, '--mapping', MAPPING, '--url', proxy.url(job.uploadUrl), '--start-over'])
  t.equal(over.code, 0, over.stderr)
  t.match(over.stdout, /Accepted: 2 rows in 1 request /)
})
