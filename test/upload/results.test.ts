import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import { parse } from 'csv-parse/sync'
import { showProgress, formatDuration } from '../../src/upload/progress.js'
import { ReportWriter, ResultSummary } from '../../src/upload/report.js'
import { retryAfterMs, RetryGate } from '../../src/upload/service-call.js'
import { staticToken } from '../../src/upload/token-provider.js'
import { ResultFollower, type OperationResult } from '../../src/upload/wait-for-results.js'
import { tempDir } from './helpers.js'

const request = (id: string, rows: number): { rows: Array<[number, number]>, requestId: string, location: string, operations: number } =>
  ({ rows: [[2, rows + 1]], requestId: id, location: `http://service.test/bulkUploads/${id}`, operations: rows })

t.test('the follower reads the oldest request until it is done, then the next ones, and reports every operation with its row', async t => {
  const polls: string[] = []
  const completesAfter = new Map([['r1', 3], ['r2', 0], ['r3', 0]])
  const fetch = (async (url: string) => {
    const id = String(url).split('/').pop()!
    polls.push(id)
    const left = completesAfter.get(id)!
    completesAfter.set(id, left - 1)
    const body = left > 0
      ? { state: 'queued', operations: [] }
      : { state: 'completed', operations: [{ bulkId: `row-${id === 'r1' ? 2 : 9}`, externalId: `x-${id}`, action: 'create', status: id === 'r3' ? 'failure' : 'success', errorCode: id === 'r3' ? 'InvalidDomain' : null, reason: id === 'r3' ? 'bad domain' : null }] }
    return new Response(JSON.stringify(body), { status: 200 })
  }) as unknown as typeof globalThis.fetch
  const results: OperationResult[] = []
  const follower = new ResultFollower({ tokens: staticToken('t'), gate: new RetryGate(), maxRetries: 1, timeoutMs: 1000, fetch, onResults: found => results.push(...found) })
  follower.follow(request('r1', 1))
  follower.follow(request('r2', 1))
  follower.follow(request('r3', 1))
  await follower.finish()
  t.same(polls.slice(0, 4), ['r1', 'r1', 'r1', 'r1'], 'only the oldest is polled while it waits')
  t.same(results, [
    { row: 2, externalId: 'x-r1', action: 'create', status: 'success', errorCode: null, reason: null, requestId: 'r1' },
    { row: 9, externalId: 'x-r2', action: 'create', status: 'success', errorCode: null, reason: null, requestId: 'r2' },
    { row: 9, externalId: 'x-r3', action: 'create', status: 'failure', errorCode: 'InvalidDomain', reason: 'bad domain', requestId: 'r3' }
  ])
  t.equal(follower.waiting, 0)
})

t.test('a Location that is not a status resource (Entra\'s) is reported, not polled forever', async t => {
  const fetch = (async () => new Response(JSON.stringify({ value: [] }), { status: 200 })) as unknown as typeof globalThis.fetch
  const follower = new ResultFollower({ tokens: staticToken('t'), gate: new RetryGate(), maxRetries: 1, timeoutMs: 1000, fetch, onResults: () => {} })
  follower.follow(request('r1', 1))
  await t.rejects(follower.finish(), /is not a bulk request status resource; --wait follows scim-inbound's per-request status/)
})

t.test('the summary counts per action × status and lists the first failures; the report is RFC 4180 CSV', async t => {
  const summary = new ResultSummary()
  const failures = Array.from({ length: 25 }, (_, i): OperationResult => ({ row: i + 2, externalId: String(i), action: 'create', status: 'failure', errorCode: 'EntryConflict', reason: 'taken', requestId: 'r' }))
  summary.add([...failures, { externalId: 'a', action: 'update', status: 'skipped', errorCode: null, reason: null, requestId: 'r' }, { externalId: 'b', action: null, status: 'purged', errorCode: null, reason: null, requestId: 'r' }])
  const text = summary.format()
  t.match(text, /action\s+success\s+failure\s+skipped\s+purged\n\s+create\s+0\s+25\s+0\s+0\n\s+update\s+0\s+0\s+1\s+0\n\s+other\s+0\s+0\s+0\s+1/)
  t.match(text, 'Failed records (25):\n  row 2, externalId 0: EntryConflict — taken')
  t.match(text, '… and 5 more')

  const file = path.join(await tempDir(t), 'report.csv')
  const report = new ReportWriter(file)
  report.invalid({ row: 3, column: 'Name', attribute: 'displayName', reason: 'has "quotes", commas\nand lines' }, '7')
  report.result(failures[0]!)
  report.result({ ...failures[0]!, status: 'success' })
  report.close()
  t.same(parse(readFileSync(file), { columns: true }), [
    { row: '3', externalId: '7', column: 'Name', action: '', status: 'invalid', errorCode: 'InvalidRow', reason: 'displayName: has "quotes", commas\nand lines', requestId: '' },
    { row: '2', externalId: '0', column: '', action: 'create', status: 'failure', errorCode: 'EntryConflict', reason: 'taken', requestId: 'r' }
  ])
})

t.test('progress: a bar on a terminal, plain lines otherwise', async t => {
  const counters = { total: 100, read: 40, sent: 30, accepted: 20, processed: 10, failed: 1 }
  const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 160, rows: 40, cursorTo: () => true, clearLine: () => true, moveCursor: () => true })
  let drawn = ''
  terminal.on('data', chunk => { drawn += String(chunk) })
  const bar = showProgress(counters, { stream: terminal as unknown as NodeJS.WriteStream, waiting: true })
  bar.note('rows 2–51: 429 slow down; retrying in 1.0 s')
  counters.processed = 100
  bar.stop()
  t.match(drawn, /read 40 \| sent 30 \| accepted 20 \| processed 100 \| failed 1/)
  t.match(drawn, 'rows 2–51: 429 slow down')

  const pipe = new PassThrough()
  let written = ''
  pipe.on('data', chunk => { written += String(chunk) })
  const plain = showProgress(counters, { stream: pipe as unknown as NodeJS.WriteStream, waiting: false, intervalMs: 10 })
  await new Promise(resolve => setTimeout(resolve, 40))
  plain.stop()
  t.match(written, /^progress: 20\/100 rows accepted — read 40, sent 30, accepted 20 — \d+ rows\/s, ETA \S+\n/)
  t.equal(formatDuration(3725), '1h02m')
  t.equal(formatDuration(125), '2m05s')
})

t.test('Retry-After in seconds or as a date', async t => {
  t.equal(retryAfterMs('3'), 3000)
  t.equal(retryAfterMs(null), undefined)
  t.equal(retryAfterMs('soon'), undefined)
  const inTwoSeconds = retryAfterMs(new Date(Date.now() + 2000).toUTCString())!
  t.ok(inTwoSeconds > 0 && inTwoSeconds <= 2000)
})
