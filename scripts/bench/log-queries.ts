/**
 * Provisioning log queries at size: fills a scratch database (scim_bench_logs, dropped
 * afterwards) with 1,000,000 log entries — eight jobs, 30 days, the worker's batches of
 * entries sharing their time, mostly successes and skips with some failures and warnings —
 * then times filtered pages by job + status + time range through the route's own parser and
 * query function. The goal is 50 ms at p99.
 *
 *   npx tsx scripts/bench/log-queries.ts      (BENCH_DATABASE_URL: admin URL, loopback only;
 *                                              BENCH_KEEP=1 leaves the database to look at plans)
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { createPool } from '../../src/db/pool.js'
import { migrate } from '../../src/db/migrate.js'
import { parseLogFilter } from '../../src/logs/log-filter.js'
import { listProvisioningLogs, type LogOrder } from '../../src/logs/log-query.js'
import { DEFAULT_LOG_PAGE_SIZE } from '../../src/http/routes/provisioning-logs.js'
import { assertLoopback, withDatabase } from './infra.js'
import { percentile } from './measure.js'

export const LOG_BENCH_DATABASE = 'scim_bench_logs'

export interface LogQueryBenchOptions {
  rows?: number
  queries?: number
  jobs?: number
  log?: (line: string) => void
  /** Leave the filled database in place (to look at plans); the next run drops it. */
  keepDatabase?: boolean
}

export interface LogQueryBenchResult {
  rows: number
  p50Ms: number
  p99Ms: number
}

const DAYS = 30
const BATCH = 50
const FILL_CHUNK = 100_000
const WARMUP_QUERIES = 20
const STATUSES = ['success', 'skipped', 'failure', 'warning'] as const

/** Fills the scratch database and times `queries` filtered pages; returns the row count and latencies. */
export async function benchLogQueries (adminUrl: string, options: LogQueryBenchOptions = {}): Promise<LogQueryBenchResult> {
  const { rows = 1_000_000, queries = 200, jobs = 8, log = () => {}, keepDatabase = false } = options
  assertLoopback(adminUrl, 'the database URL')
  await admin(adminUrl, async client => {
    await client.query(`DROP DATABASE IF EXISTS ${LOG_BENCH_DATABASE} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${LOG_BENCH_DATABASE}`)
  })
  const db = createPool(withDatabase(adminUrl, LOG_BENCH_DATABASE), 2, 'scim-bench-log-queries')
  try {
    await migrate(db)
    const jobIds = Array.from({ length: jobs }, () => `API2AAD.${randomBytes(16).toString('hex')}.${randomUUID()}`)
    const startedAt = Date.now() - DAYS * 86_400_000
    const secondsPerBatch = DAYS * 86_400 / (rows / BATCH)
    const filling = Date.now()
    for (let first = 1; first <= rows; first += FILL_CHUNK) {
      await fill(db, jobIds, new Date(startedAt), secondsPerBatch, first, Math.min(rows, first + FILL_CHUNK - 1))
      log(`  filled ${Math.min(rows, first + FILL_CHUNK - 1).toLocaleString('en-US')} rows (${((Date.now() - filling) / 1000).toFixed(0)} s)`)
    }
    // What autovacuum leaves behind on a live server: statistics and a set visibility map.
    await db.query('VACUUM ANALYZE provisioning_logs')
    const { rows: [count] } = await db.query('SELECT count(*)::int AS n FROM provisioning_logs')

    let seed = 7
    const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
    const query = async (): Promise<number> => {
      const jobId = jobIds[random(jobIds.length)]!
      const status = STATUSES[random(STATUSES.length)]!
      const from = startedAt + random(DAYS - 7) * 86_400_000 + random(86_400) * 1000
      const to = from + (1 + random(7)) * 86_400_000
      const filter = parseLogFilter(`jobId eq '${jobId}' and statusInfo/status eq '${status}' and ` +
        `activityDateTime ge ${new Date(from).toISOString()} and activityDateTime lt ${new Date(to).toISOString()}`)
      const order: LogOrder = random(4) === 0 ? 'asc' : 'desc'
      const started = process.hrtime.bigint()
      await listProvisioningLogs(db, { filter, order, top: DEFAULT_LOG_PAGE_SIZE + 1 })
      return Number(process.hrtime.bigint() - started) / 1e6
    }
    for (let i = 0; i < WARMUP_QUERIES; i++) await query()
    const times: number[] = []
    for (let i = 0; i < queries; i++) times.push(await query())
    return { rows: count.n, p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)) }
  } finally {
    await db.end()
    if (!keepDatabase) await dropLogBenchDatabase(adminUrl)
  }
}

/** Drops the scratch database; also for a caller stopped while it was being filled. */
export async function dropLogBenchDatabase (adminUrl: string): Promise<void> {
  await admin(adminUrl, async client => { await client.query(`DROP DATABASE IF EXISTS ${LOG_BENCH_DATABASE} WITH (FORCE)`) })
}

/**
 * Entries `first`..`last` in time order, as the worker writes them: one job per batch of 50
 * sharing its time, a status drawn per entry (70 % success, 20 % skipped, 7 % failure,
 * 3 % warning) and modified properties and steps of a typical size.
 */
async function fill (db: pg.Pool, jobIds: string[], startedAt: Date, secondsPerBatch: number, first: number, last: number): Promise<void> {
  await db.query(`SELECT setseed(${(first % 1000) / 1000})`)
  await db.query(
    `INSERT INTO provisioning_logs (id, request_id, operation_index, job_id, cycle_id, change_id, activity_at, duration_ms, action, status,
       error_code, reason, bulk_id, method, source_id, source_display_name, target_id, target_display_name, modified_properties, steps)
     SELECT gen_random_uuid(), md5((i / ${BATCH})::text)::uuid, i % ${BATCH}, ($1::text[])[1 + (i / ${BATCH}) % cardinality($1::text[])],
       md5('cycle' || (i / 5000)::text)::uuid, gen_random_uuid(),
       $2::timestamptz + (i / ${BATCH}) * $3::float8 * interval '1 second', 40, e.action, e.status,
       CASE e.status WHEN 'failure' THEN 'InvalidDomain' WHEN 'warning' THEN 'EntryConflict' END,
       CASE e.status WHEN 'failure' THEN 'The domain of userPrincipalName is not a verified domain of the directory.' WHEN 'skipped' THEN 'Nothing changed.' END,
       'op' || i % ${BATCH}, 'POST', (100000 + i % 200000)::text, 'User ' || (100000 + i % 200000),
       CASE WHEN e.status <> 'failure' THEN md5('user' || (i % 200000)::text)::uuid END, 'User ' || (100000 + i % 200000),
       ('[["department","Sales","R&D ' || i % 97 || '"],["jobTitle","Engineer","Senior Engineer"],["manager",null,"' || (100000 + i % 1000) || '"]]')::json,
       ('[["EntryImport","import","success","Received User ''' || (100000 + i % 200000) || ''' from the API"],' ||
        '["EntrySynchronizationScoping","scoping","success","User is in scope"],' ||
        '["EntrySynchronizationUpdate","matching","success","Matched on employeeId ' || (100000 + i % 200000) || '"],' ||
        '["EntryExportUpdate","export","' || e.status || '","Updated department, jobTitle and manager"]]')::json
     FROM generate_series($4::int, $5::int) AS i,
     LATERAL (SELECT r, CASE WHEN r < 0.70 THEN 'success' WHEN r < 0.90 THEN 'skipped' WHEN r < 0.97 THEN 'failure' ELSE 'warning' END AS status,
                     CASE WHEN r < 0.2 THEN 'create' WHEN r < 0.9 THEN 'update' ELSE 'disable' END AS action
              FROM (SELECT random() + i * 0 AS r) x) e`,
    [jobIds, startedAt, secondsPerBatch, first, last])
}

async function admin<T> (adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'scim-bench-log-queries-admin' })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

const round = (value: number): number => Math.round(value * 10) / 10

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const adminUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
  const started = Date.now()
  console.log(`log queries: filling ${LOG_BENCH_DATABASE} on ${new URL(adminUrl).host}`)
  const result = await benchLogQueries(adminUrl, { log: line => console.log(line), keepDatabase: process.env.BENCH_KEEP === '1' })
  console.log(`log queries: ${result.rows.toLocaleString('en-US')} rows; a filtered page (job + status + time range, ${DEFAULT_LOG_PAGE_SIZE} entries): ` +
    `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms (goal ≤ 50 ms) — ${((Date.now() - started) / 1000).toFixed(0)} s in all`)
}
