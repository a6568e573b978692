import t from 'tap'
import type { Db } from '../../src/db/pool.js'
import { JobBacklog } from '../../src/ingest/job-backlog.js'
import { backlogRetryAfterSeconds, MAX_RETRY_AFTER_SECONDS } from '../../src/ingest/backlog-bound.js'

// How the upload path reads a job's backlog (once a second, not once an upload) and turns
// it into a Retry-After.

/** A stand-in pool answering every query with `row`, counting the queries. */
function fakeDb (row: Record<string, unknown> | Error): { db: Db, queries: () => number } {
  let count = 0
  const db = {
    query: async () => {
      count++
      await new Promise(resolve => setImmediate(resolve))
      if (row instanceof Error) throw row
      return { rows: [row] }
    }
  } as unknown as Db
  return { db, queries: () => count }
}

const quietLog = { warn: () => {} }

t.test('concurrent and repeated reads within a second share one query; the next second reads again', async t => {
  const { db, queries } = fakeDb({ waiting_operations: 120, operations: 600, seconds: 60 })
  const backlog = new JobBacklog(db, quietLog)
  const now = 1_000_000
  const readings = await Promise.all(Array.from({ length: 50 }, async () => await backlog.read('job-1', now)))
  t.equal(queries(), 1, 'fifty concurrent uploads, one query')
  t.strictSame(readings[0], { waitingOperations: 120, drainPerSecond: 10 })
  await backlog.read('job-1', now + 999)
  t.equal(queries(), 1, 'still fresh 999 ms later')
  await backlog.read('job-2', now + 999)
  t.equal(queries(), 2, 'another job has its own reading')
  await backlog.read('job-1', now + 1000)
  t.equal(queries(), 3, 'read again after a second')
})

t.test('operations accepted by this process count until the next reading', async t => {
  const { db } = fakeDb({ waiting_operations: 10, operations: 0, seconds: null })
  const backlog = new JobBacklog(db, quietLog)
  const now = 2_000_000
  t.strictSame(await backlog.read('job', now), { waitingOperations: 10, drainPerSecond: 0 }, 'nothing processed lately: rate 0')
  backlog.noteAccepted('job', 50)
  backlog.noteAccepted('unread-job', 50)
  t.equal((await backlog.read('job', now + 10))?.waitingOperations, 60)
  t.equal((await backlog.read('job', now + 1000))?.waitingOperations, 10, 'a new reading replaces the estimate')
})

t.test('a recent burst is measured over the time since it began, never less than a second', async t => {
  const { db } = fakeDb({ waiting_operations: 0, operations: 500, seconds: 0.2 })
  t.equal((await new JobBacklog(db, quietLog).read('job'))?.drainPerSecond, 500)
})

t.test('a failed reading holds nothing back and is not retried within the second', async t => {
  const warnings: string[] = []
  const { db, queries } = fakeDb(new Error('connection lost'))
  const backlog = new JobBacklog(db, { warn: (_details, message) => { warnings.push(message) } })
  t.equal(await backlog.read('job', 5_000), undefined)
  t.equal(await backlog.read('job', 5_500), undefined)
  t.equal(queries(), 1)
  t.equal(warnings.length, 1)
})

t.test('Retry-After: the excess over the bound at the recent drain rate, from 1 s to the cap', async t => {
  t.equal(backlogRetryAfterSeconds({ waitingOperations: 300, drainPerSecond: 10 }, 100, true), 21, '201 operations at 10/s')
  t.equal(backlogRetryAfterSeconds({ waitingOperations: 100, drainPerSecond: 1000 }, 100, true), 1, 'at least a second')
  t.equal(backlogRetryAfterSeconds({ waitingOperations: 1_000_000, drainPerSecond: 10 }, 100, true), MAX_RETRY_AFTER_SECONDS, 'capped')
  t.equal(backlogRetryAfterSeconds({ waitingOperations: 300, drainPerSecond: 0 }, 100, true), MAX_RETRY_AFTER_SECONDS, 'active but nothing processed lately')
  t.equal(backlogRetryAfterSeconds({ waitingOperations: 300, drainPerSecond: 10 }, 100, false), MAX_RETRY_AFTER_SECONDS, 'not processing: the cap, whatever it did before')
})
