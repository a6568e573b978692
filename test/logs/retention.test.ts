import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import pino from 'pino'
import { createPool } from '../../src/db/pool.js'
import { deleteExpiredLogs, LogRetention, vacuumWithoutAutovacuum } from '../../src/logs/retention.js'
import { buildService } from '../helpers/service.js'

// Retention: entries older than LOG_RETENTION_DAYS are deleted job by job in small
// statements, never waiting on (or holding up) the rows ingest writes; workers run it.

const service = await buildService(t, { LOG_RETENTION_DAYS: 7 })
const db = createPool(service.config.DATABASE_URL!, 4, 'retention-tests')
t.teardown(() => db.end())
const silent = pino({ level: 'silent' })

const newJobId = (): string => `API2AAD.${randomBytes(16).toString('hex')}.${randomUUID()}`

/** `count` entries of `jobId` written `daysAgo` days ago; returns their ids. */
async function entries (jobId: string, daysAgo: number, count: number): Promise<string[]> {
  const { rows } = await db.query(
    `INSERT INTO provisioning_logs (id, request_id, operation_index, job_id, cycle_id, change_id, activity_at, action, status)
     SELECT gen_random_uuid(), gen_random_uuid(), i, $1, gen_random_uuid(), gen_random_uuid(), now() - make_interval(days => $2) - i * interval '1 second', 'create', 'success'
     FROM generate_series(1, $3) AS i RETURNING id`, [jobId, daysAgo, count])
  return rows.map(row => row.id)
}

async function remaining (jobId: string): Promise<number> {
  return (await db.query('SELECT count(*)::int AS n FROM provisioning_logs WHERE job_id = $1', [jobId])).rows[0].n
}

t.test('entries past the retention are deleted in batches, oldest first; younger ones stay', async t => {
  const jobs = [newJobId(), newJobId(), newJobId()]
  for (const job of jobs) {
    await entries(job, 40, 23)
    await entries(job, 29, 5)
    await entries(job, 1, 4)
  }
  const statements: string[] = []
  const counting = Object.create(db, { query: { value: (...args: any[]) => { statements.push(String(args[0])); return (db.query as any)(...args) } } })
  const deleted = await deleteExpiredLogs(counting, { retentionDays: 30, batchSize: 7, pauseMs: 1 })
  t.equal(deleted, 69, 'every entry older than 30 days')
  for (const job of jobs) t.equal(await remaining(job), 9, 'the 29-day-old and the new entries stay')
  t.equal(statements.filter(sql => sql.includes('DELETE')).length, 10, 'at most 7 rows per statement: 69 take ten')
  t.equal(await deleteExpiredLogs(db, { retentionDays: 30, batchSize: 7, pauseMs: 1 }), 0, 'a second run finds nothing')
  t.equal(await deleteExpiredLogs(db, { retentionDays: 0 }), 0, '0 keeps everything')
  for (const job of jobs) t.equal(await remaining(job), 9)
})

t.test('the oldest go first, and a closing worker stops between statements', async t => {
  const job = newJobId()
  const oldest = await entries(job, 50, 3)
  await entries(job, 40, 3)
  let statements = 0
  const deleted = await deleteExpiredLogs(db, { retentionDays: 30, batchSize: 3, pauseMs: 1, stopped: () => statements++ > 0 })
  t.equal(deleted, 3, 'one statement, then it stopped')
  const { rows } = await db.query('SELECT id FROM provisioning_logs WHERE id = ANY($1::uuid[])', [oldest])
  t.equal(rows.length, 0, 'the 50-day-old entries went first')
  t.equal(await remaining(job), 3)
  await deleteExpiredLogs(db, { retentionDays: 30 })
})

t.test('neither ingest nor retention waits for the other', async t => {
  const job = newJobId()
  const old = await entries(job, 40, 10)
  // A batch being written (uncommitted) while retention runs.
  const writer = await db.connect()
  await writer.query('BEGIN')
  await writer.query(
    `INSERT INTO provisioning_logs (id, request_id, operation_index, job_id, cycle_id, change_id, activity_at, action, status)
     VALUES (gen_random_uuid(), gen_random_uuid(), 0, $1, gen_random_uuid(), gen_random_uuid(), now(), 'create', 'success')`, [job])
  // And an old entry someone holds a lock on (a concurrent retention run of another worker).
  const holder = await db.connect()
  await holder.query('BEGIN')
  await holder.query('SELECT id FROM provisioning_logs WHERE id = $1 FOR UPDATE', [old[0]])
  const started = Date.now()
  const deleted = await deleteExpiredLogs(db, { retentionDays: 30, batchSize: 3, pauseMs: 1 })
  t.ok(Date.now() - started < 5000, 'retention did not wait')
  t.equal(deleted, 9, 'the locked entry is skipped, the rest deleted')
  await holder.query('ROLLBACK')
  holder.release()
  await writer.query('INSERT INTO provisioning_logs (id, request_id, operation_index, job_id, cycle_id, change_id, activity_at, action, status) ' +
    "VALUES (gen_random_uuid(), gen_random_uuid(), 1, $1, gen_random_uuid(), gen_random_uuid(), now(), 'create', 'success')", [job])
  await writer.query('COMMIT')
  writer.release()
  t.equal(await remaining(job), 3, 'the batch written meanwhile is whole')
  t.equal(await deleteExpiredLogs(db, { retentionDays: 30 }), 1, 'the skipped entry goes at the next run')
  t.equal(await remaining(job), 2)
})

t.test('a worker runs retention soon after start and then on an interval', async t => {
  const job = newJobId()
  await entries(job, 40, 5)
  const retention = new LogRetention({ db, log: silent, retentionDays: 30, firstRunMs: 0, intervalMs: 50, pauseMs: 1 })
  retention.start()
  t.teardown(() => retention.close())
  const waitFor = async (count: number): Promise<void> => {
    const deadline = Date.now() + 5000
    while (await remaining(job) !== count) {
      if (Date.now() > deadline) throw new Error(`still ${await remaining(job)} entries`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }
  await waitFor(0)
  t.pass('the first run deleted the expired entries')
  await entries(job, 31, 3)
  await waitFor(0)
  t.pass('a later run deleted the ones that expired since')
  await retention.close()
  await entries(job, 31, 2)
  await new Promise(resolve => setTimeout(resolve, 200))
  t.equal(await remaining(job), 2, 'closed: no more runs')
})

t.test('a failing run is logged and does not stop the next', async t => {
  const errors: unknown[] = []
  const log = { info: () => {}, error: (details: unknown) => { errors.push(details) } } as unknown as pino.Logger
  const broken = createPool('postgres://nobody@127.0.0.1:1/none', 1)
  t.teardown(() => broken.end())
  const retention = new LogRetention({ db: broken, log, retentionDays: 30 })
  t.equal(await retention.runOnce(), 0)
  t.equal(errors.length, 1, 'logged')
  t.equal(await retention.runOnce(), 0, 'and tried again')
  await retention.close()
})

t.test('the worker takes LOG_RETENTION_DAYS from its configuration', async t => {
  const job = newJobId()
  await entries(job, 8, 4)
  await entries(job, 6, 2)
  const worker = await service.startWorker()
  t.ok(worker.retention instanceof LogRetention)
  await worker.retention.runOnce()
  t.equal(await remaining(job), 2, 'older than 7 days: deleted')
})

t.test('LOG_RETENTION_DAYS: default 30, 0 allowed, no negative', async t => {
  const { loadConfig } = await import('../../src/config.js')
  t.equal(loadConfig({}).LOG_RETENTION_DAYS, 30)
  t.equal(loadConfig({ LOG_RETENTION_DAYS: '0' }).LOG_RETENTION_DAYS, 0)
  t.throws(() => loadConfig({ LOG_RETENTION_DAYS: '-1' }))
  const kept = new LogRetention({ db, log: silent, retentionDays: 0, firstRunMs: 0 })
  kept.start()
  await kept.close()
  t.pass('0: nothing scheduled')
})

t.test('where autovacuum is off, a run that deleted entries vacuums the log', async t => {
  const { rows: [setting] } = await db.query("SELECT current_setting('autovacuum') AS value")
  const lastVacuum = async (): Promise<Date | null> =>
    (await db.query("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'provisioning_logs'")).rows[0].last_vacuum
  const before = await lastVacuum()
  await entries(newJobId(), 40, 3)
  const retention = new LogRetention({ db, log: silent, retentionDays: 30 })
  t.equal(await retention.runOnce(), 3)
  if (setting.value === 'on') {
    t.equal(await vacuumWithoutAutovacuum(db), false, 'autovacuum on: left to it')
    return
  }
  const deadline = Date.now() + 3000
  while ((await lastVacuum())?.getTime() === before?.getTime() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  t.not((await lastVacuum())?.getTime(), before?.getTime(), 'vacuumed')
  t.equal(await retention.runOnce(), 0)
})
