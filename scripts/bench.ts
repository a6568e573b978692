/**
 * npm run bench — measures the service against the performance goals on this machine:
 * API and one worker as separate processes on a dedicated database (scim_bench) and Redis
 * prefix, driven over loopback HTTP.
 *
 *   1. acceptance of 50-user requests (job paused, durable commit only)
 *   2. end to end: 100,000 new users in 1,000-user requests (and 20,000 in 50-user ones)
 *   3. idle accept→commit latency of single-user requests
 *   4. CSV upload: a 100,000-row HR file sent by the upload command's uploader, until every row is processed
 *   5. ingest while the provisioning log is read: 40,000 new users in 1,000-user requests on a fresh
 *      job each time: alone, while three readers page through that job's log over HTTP (job +
 *      status + time filter), and alone again; the committed rate with readers over the mean of the other two
 *   6. what evaluating the default attribute mappings costs per user
 *   7. provisioning log queries at size: 1,000,000 entries in a scratch database (scim_bench_logs),
 *      a filtered page by job + status + time range through the route's query functions
 *   8. peak RSS of the API and the worker
 *
 * Environment: BENCH_DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379; unreachable → BullMQ on PostgreSQL),
 * BENCH_QUICK=1 (smaller counts, for a smoke run), BENCH_CPU_PROF=<dir> (worker and API
 * write V8 CPU profiles there on exit), BENCH_ANALYZE=1 (run ANALYZE on the bench database
 * every 3 s, standing in for autovacuum's auto-analyze on a server that has autovacuum off),
 * BENCH_API_PROCESSES (API_PROCESSES of the API; default 2, one per core of this machine class),
 * BENCH_NODE_ARGS_API / BENCH_NODE_ARGS_WORKER (node or V8 flags for one role, space-separated,
 * to compare settings such as --heap-growing-percent).
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { ALL_ROLES, mintToken } from '../src/auth/mint-token.js'
import { ApiClient, type BenchJob } from './bench/api-client.js'
import { measureCsvUpload, type CsvUploadBenchResult } from './bench/csv-upload.js'
import { assertLoopback, createBenchDatabase, deleteRedisPrefix, dropBenchDatabase, redisReachable, redisServerPid, serverSettings, BENCH_DATABASE } from './bench/infra.js'
import { measureIngestUnderQueries, type IngestUnderQueriesResult } from './bench/ingest-under-queries.js'
import { benchLogQueries, dropLogBenchDatabase, LOG_BENCH_DATABASE, type LogQueryBenchResult } from './bench/log-queries.js'
import { measureAcceptance, measureEndToEnd, measureIdleLatency, verifyJob, type AcceptanceResult, type Context, type EndToEndResult, type IdleLatencyResult } from './bench/measure.js'
import { measureMappingCost, type MappingCost } from './bench/mapping-cost.js'
import { averageBytesPerUser, bulkBodies } from './bench/payloads.js'
import { buildService, CpuMeter, findFreePort, loadAverage, MemorySampler, sleep, startRole, stopRole, waitForReady, type ServiceProcess } from './bench/processes.js'

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379'
const QUICK = process.env.BENCH_QUICK === '1'
// Accepting is mostly JavaScript, one core per Node process: the API runs one process per core,
// as the README advises. The worker stays one process: one job's batches run one at a time.
const API_PROCESSES = Number(process.env.BENCH_API_PROCESSES ?? 2)
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF
const ANALYZE_EVERY_MS = process.env.BENCH_ANALYZE === '1' ? 3000 : undefined
const QUEUE_PREFIX = `scim-bench-${randomBytes(4).toString('hex')}`
const JWT_SECRET = randomBytes(24).toString('hex')
/** Hard bound on the whole run; cleanup still happens. */
const WATCHDOG_MS = 8 * 60_000

const PLAN = {
  acceptance: { connections: 20, durationS: QUICK ? 5 : 15, warmupS: QUICK ? 1 : 3, bodies: 50, usersPerRequest: 50 },
  bigRequests: { users: QUICK ? 10_000 : 100_000, usersPerRequest: 1000, connections: 4, timeoutS: QUICK ? 60 : 120 },
  entraRequests: { users: QUICK ? 5_000 : 20_000, usersPerRequest: 50, connections: 4, timeoutS: QUICK ? 40 : 60 },
  csvUpload: { rows: QUICK ? 10_000 : 100_000, batchSize: 1000, concurrency: 4, timeoutS: QUICK ? 60 : 120 },
  // Readers: three consoles paging through the job's log, 100 ms between pages (at most 30 pages/s in all).
  // 40,000 users make each run about 7 s: shorter ones differ by a tenth from one to the next.
  ingestUnderQueries: { users: QUICK ? 5_000 : 40_000, usersPerRequest: 1000, connections: 4, timeoutS: QUICK ? 40 : 60, readers: 3, pauseMs: 100, pages: 5, rangeStart: 5_000_000 },
  idle: { requests: QUICK ? 60 : 300, warmup: 5, pauseMs: 20, clientEvery: 6, timeoutS: 45 },
  logQueries: { rows: QUICK ? 100_000 : 1_000_000, queries: 200 }
}
const TARGETS = {
  acceptedReqPerS: 600,
  acceptedUsersPerS: 30_000,
  committedUsersPerS: 10_000,
  csvRowsPerS: 10_000,
  ingestWithQueriesRatio: 0.9,
  idleP99Ms: 50,
  logQueryP99Ms: 50,
  apiRssMb: 200,
  workerRssMb: 250,
  mappingMicrosecondsPerUser: 20
}

const startedAt = Date.now()
const log = (line: string): void => { process.stdout.write(`${line}\n`) }
const elapsed = (): string => `${((Date.now() - startedAt) / 1000).toFixed(0)} s`

// ---------------------------------------------------------------- cleanup

const running: ServiceProcess[] = []
let sampler: MemorySampler | undefined
let analyzer: NodeJS.Timeout | undefined
let benchDb: pg.Pool | undefined
let databaseCreated = false
let logDatabaseUsed = false
let redisUsed = false
let cleaning: Promise<void> | undefined

function cleanup (): Promise<void> {
  cleaning ??= (async () => {
    sampler?.stop()
    clearInterval(analyzer)
    await Promise.allSettled(running.map(service => stopRole(service)))
    await benchDb?.end().catch(() => {})
    if (logDatabaseUsed) await dropLogBenchDatabase(ADMIN_URL).catch(err => log(`could not drop ${LOG_BENCH_DATABASE}: ${(err as Error).message}`))
    if (databaseCreated) await dropBenchDatabase(ADMIN_URL).then(() => log(`dropped database ${BENCH_DATABASE}`), err => log(`could not drop ${BENCH_DATABASE}: ${(err as Error).message}`))
    if (redisUsed) await deleteRedisPrefix(REDIS_URL, QUEUE_PREFIX).then(n => log(`deleted ${n} Redis keys under ${QUEUE_PREFIX}:`), err => log(`could not clean Redis prefix ${QUEUE_PREFIX}: ${(err as Error).message}`))
  })()
  return cleaning
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping the service and dropping the bench database…`)
    void cleanup().finally(() => process.exit(130))
  })
}
setTimeout(() => {
  log(`watchdog: the run exceeded ${WATCHDOG_MS / 60_000} minutes; aborting`)
  void cleanup().finally(() => process.exit(1))
}, WATCHDOG_MS).unref()

// ---------------------------------------------------------------- run

interface Results {
  environment: Record<string, unknown>
  acceptance: AcceptanceResult
  endToEnd: { bigRequests: EndToEndResult, entraRequests?: EndToEndResult }
  csvUpload?: CsvUploadBenchResult & { directoryUsers: number, failedLogEntries: number, logEntries: number, cores: Record<string, number> }
  csvUploadError?: string
  ingestUnderQueries?: IngestUnderQueriesResult
  idleLatency: IdleLatencyResult
  mapping: MappingCost
  /** Filtered log pages on a scratch database of `rows` entries. */
  logQueries?: LogQueryBenchResult & { queries: number, phaseS: number }
  memory: Record<string, { sampledMaxRssMb: number, vmHwmMb: number, currentRssMb: number }>
  /** Peak sampled RSS (MB) of each process during each phase. */
  memoryByPhase: Record<string, Record<string, number>>
  checks: Array<{ goal: string, value: number, target: string, pass: boolean }>
}

async function main (): Promise<void> {
  assertLoopback(ADMIN_URL, 'BENCH_DATABASE_URL')
  assertLoopback(REDIS_URL, 'BENCH_REDIS_URL')
  log(`scim-inbound bench${QUICK ? ' (BENCH_QUICK: reduced counts)' : ''} — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}; load average ${loadAverage()}`)
  if (Number(loadAverage().split(' ')[0]) > 1) log('WARNING: the machine is already busy (load average above 1); other processes compete for the 2 cores — see the "other" CPU column')

  const build = buildService(ROOT)
  log(`build: ${build.note}`)
  const database = await createBenchDatabase(ADMIN_URL)
  databaseCreated = true
  const { settings: pgSettings, postmasterPid } = await serverSettings(database.url)
  if (pgSettings.autovacuum === 'off') {
    log(ANALYZE_EVERY_MS !== undefined
      ? `note: the server runs with autovacuum off; BENCH_ANALYZE=1 runs ANALYZE every ${ANALYZE_EVERY_MS / 1000} s in its place`
      : 'note: the server runs with autovacuum off; the worker refreshes planner statistics itself as the directory grows (src/db/statistics.ts)')
  }
  log(`database: ${BENCH_DATABASE} created, migrations applied (${database.applied.join(', ')}); server ${JSON.stringify(pgSettings)}, postmaster pid ${postmasterPid ?? '?'}`)
  redisUsed = await redisReachable(REDIS_URL)
  log(redisUsed
    ? `queue: BullMQ on Redis ${REDIS_URL}, prefix ${QUEUE_PREFIX}`
    : `queue: Redis at ${REDIS_URL} is unreachable — FALLING BACK to BullMQ on PostgreSQL (REDIS_URL unset); numbers are not comparable with Redis runs`)

  const port = await findFreePort(3900)
  const baseUrl = `http://127.0.0.1:${port}`
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    ...(redisUsed ? { REDIS_URL } : {}),
    QUEUE_PREFIX,
    JWT_SECRET,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DB_POOL_MAX: '10',
    SHUTDOWN_DELAY_MS: '5000',
    DEMO: 'false',
    // One client drives the whole load into a paused job: the throttles run (their cost is
    // measured) but are set high enough never to refuse.
    RATE_LIMIT_PER_SECOND: '1000000',
    MAX_BACKLOG_OPERATIONS: '100000000',
    API_PROCESSES: String(API_PROCESSES)
  }
  const profArgs = (role: string): string[] => CPU_PROF_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=${role}-${Date.now()}.cpuprofile`]
  const apiProcess = startRole(ROOT, build.mode, 'api', env, profArgs('api'))
  running.push(apiProcess)
  const workerProcess = startRole(ROOT, build.mode, 'worker', env, profArgs('worker'))
  running.push(workerProcess)
  await waitForReady(baseUrl, running)
  log(`service: api pid ${apiProcess.pid} (${API_PROCESSES} process${API_PROCESSES === 1 ? '' : 'es'}; CPU counts them all, RSS the largest) on ${baseUrl}, worker pid ${workerProcess.pid} (${build.mode}); ready after ${elapsed()}`)

  sampler = new MemorySampler({ api: apiProcess.pid, worker: workerProcess.pid })
  const cpu = new CpuMeter({ api: apiProcess.pid, worker: workerProcess.pid }, postmasterPid, redisUsed ? await redisServerPid(REDIS_URL) : undefined)
  benchDb = new pg.Pool({ connectionString: database.url, max: 2, application_name: 'scim-bench-observer' })
  const api = new ApiClient(baseUrl, mintToken({ secret: JWT_SECRET, roles: ALL_ROLES, subject: 'scim-bench', expiresIn: 3600 }))
  const ctx: Context = { api, db: benchDb, cpu, log }
  const directoryId = await api.createDirectory(['contoso.com'])
  if (ANALYZE_EVERY_MS !== undefined) {
    const db = benchDb
    let analyzing = false
    analyzer = setInterval(() => {
      if (analyzing) return
      analyzing = true
      void db.query('ANALYZE').catch(() => {}).finally(() => { analyzing = false })
    }, ANALYZE_EVERY_MS)
  }
  const memoryByPhase: Record<string, Record<string, number>> = { startup: sampler.phasePeak() }

  // 1. Acceptance: the job is paused so the worker does not compete for the cores.
  const a = PLAN.acceptance
  const acceptanceBodies = bulkBodies(1_000_000, a.bodies * a.usersPerRequest, a.usersPerRequest)
  log(`\n[1] acceptance: ${a.usersPerRequest}-user requests (${Math.round(averageBytesPerUser(acceptanceBodies, a.usersPerRequest))} B/user, ${a.bodies} distinct bodies rotated), job paused`)
  const acceptanceJob = await api.createJob(directoryId, 'acceptance')
  await api.setSettings(acceptanceJob, { maxOperations: 50 })
  await api.setState(acceptanceJob, 'pause')
  const acceptance = await measureAcceptance(ctx, acceptanceJob, acceptanceBodies, a.usersPerRequest, a)
  log(`  ${acceptance.reqPerS} req/s = ${acceptance.usersPerS} users/s, p50 ${acceptance.latencyP50Ms} ms, p99 ${acceptance.latencyP99Ms} ms, non-2xx ${acceptance.non2xx}, errors ${acceptance.errors}; ${acceptance.committedRows} rows committed for ${acceptance.accepted} 202s`)
  // Purge: the paused job's backlog would otherwise sit in bulk_requests (and in every sweep).
  // Only this phase has written requests so far, so TRUNCATE is exactly "delete the job's rows".
  await benchDb.query('TRUNCATE bulk_requests CASCADE')
  await benchDb.query('CHECKPOINT').catch(() => {})
  memoryByPhase.acceptance = sampler.phasePeak()

  // 2. End to end on fresh started jobs.
  const big = PLAN.bigRequests
  const bigBodies = bulkBodies(2_000_000, big.users, big.usersPerRequest)
  log(`\n[2a] end to end: ${big.users} new users in ${bigBodies.length} requests of ${big.usersPerRequest} from ${big.connections} connections (after ${elapsed()})`)
  const bigJob = await api.createStartedJob(directoryId, 'e2e-1000', big.usersPerRequest)
  await sleep(500)
  const bigResult = await measureEndToEnd(ctx, bigJob, bigBodies, big.users, big.usersPerRequest, big)
  // Paused so a backlog left by a timeout cannot spill into the next phase.
  await api.setState(bigJob, 'pause')
  memoryByPhase.e2e1000 = sampler.phasePeak()
  log(`  committed ${bigResult.committedUsersPerS} users/s (span ${bigResult.committedSpanS} s), directory_users ${bigResult.directoryUsers}, failed log entries ${bigResult.failedLogEntries}`)

  let entraResult: EndToEndResult | undefined
  const small = PLAN.entraRequests
  // Time budget: the whole run stays around five minutes even when phase 2a runs into its timeout.
  if (Date.now() - startedAt < 175_000) {
    const smallBodies = bulkBodies(3_000_000, small.users, small.usersPerRequest)
    log(`\n[2b] end to end: ${small.users} new users in ${smallBodies.length} requests of ${small.usersPerRequest} from ${small.connections} connections (after ${elapsed()})`)
    const smallJob = await api.createStartedJob(directoryId, 'e2e-50', small.usersPerRequest)
    await sleep(500)
    entraResult = await measureEndToEnd(ctx, smallJob, smallBodies, small.users, small.usersPerRequest, small)
    await api.setState(smallJob, 'pause')
    memoryByPhase.e2e50 = sampler.phasePeak()
    log(`  committed ${entraResult.committedUsersPerS} users/s (span ${entraResult.committedSpanS} s), directory_users ${entraResult.directoryUsers}, failed log entries ${entraResult.failedLogEntries}`)
  } else {
    log(`\n[2b] skipped: ${elapsed()} already spent`)
  }

  // 3. Idle accept→commit of single-user requests.
  const idle = PLAN.idle
  // Idle means after the load: the checkpoint that the bulk phases' writes make due (hundreds
  // of MB of WAL) is taken now, as phases 1 and 5 do, not in the middle of the measurement.
  await benchDb.query('CHECKPOINT').catch(() => {})
  const { rows: [{ n: directorySize }] } = await benchDb.query('SELECT count(*)::int AS n FROM directory_users WHERE directory_id = $1', [directoryId])
  log(`\n[3] idle latency: ${idle.requests} single-user requests, one at a time, ${idle.pauseMs} ms apart, into the same directory (${directorySize} users) (after ${elapsed()})`)
  const idleJob = await api.createJob(directoryId, 'idle')
  await api.setState(idleJob, 'start')
  const idleBodies = bulkBodies(4_000_000, idle.warmup + idle.requests, 1)
  const idleResult = await measureIdleLatency(ctx, idleJob, idleBodies, idle)
  memoryByPhase.idle = sampler.phasePeak()
  log(`  accept→commit p50 ${idleResult.serverP50Ms} ms, p99 ${idleResult.serverP99Ms} ms (server); client POST→completed p50 ${idleResult.clientP50Ms} ms, p99 ${idleResult.clientP99Ms} ms (${idleResult.clientSamples} samples)`)

  // 4. A CSV file through the upload command's own uploader (reading, mapping, batching and
  // following every request to its outcome are part of the time), into a fresh started job.
  let csvResult: Results['csvUpload']
  let csvError: string | undefined
  const csv = PLAN.csvUpload
  if (Date.now() - startedAt < 200_000) {
    log(`\n[4] CSV upload: ${csv.rows} HR rows sent by the uploader in ${csv.batchSize}-row requests, ${csv.concurrency} in flight, until every row is processed (after ${elapsed()})`)
    const csvJob = await api.createStartedJob(directoryId, 'csv', csv.batchSize)
    await sleep(500)
    let cpuFrom = cpu.snapshot()
    // The uploader gives up on a request the service keeps refusing: a miss, and the run goes on.
    const uploaded = await measureCsvUpload({
      url: `${baseUrl}${csvJob.uploadPath}`,
      token: api.token,
      rows: csv.rows,
      batchSize: csv.batchSize,
      concurrency: csv.concurrency,
      domain: 'contoso.com',
      signal: AbortSignal.timeout(csv.timeoutS * 1000),
      onStart: () => { cpuFrom = cpu.snapshot() }
    }).catch((err: Error) => { csvError = err.message; return undefined })
    const cores = CpuMeter.cores(cpuFrom, cpu.snapshot())
    await api.setState(csvJob, 'pause')
    memoryByPhase.csv = sampler.phasePeak()
    if (uploaded !== undefined) {
      csvResult = { ...uploaded, ...await verifyJob(ctx, csvJob), cores }
      log(`  ${csvResult.rowsPerSecond} rows/s end to end (wall ${csvResult.wallSeconds} s, all accepted after ${csvResult.acceptedSeconds} s); processed ${csvResult.processed}/${csvResult.rows}, ` +
        `failed ${csvResult.failed}; directory_users ${csvResult.directoryUsers}, failed log entries ${csvResult.failedLogEntries}${csvResult.interrupted ? '; TIMED OUT' : ''}`)
    } else {
      log(`  the upload failed: ${csvError ?? '?'}`)
    }
  } else {
    log(`\n[4] skipped: ${elapsed()} already spent`)
  }

  // 5. The same ingest three times on fresh jobs, the second while readers page through its log over HTTP.
  let ingestResult: IngestUnderQueriesResult | undefined
  const ingest = PLAN.ingestUnderQueries
  if (Date.now() - startedAt < 240_000) {
    log(`\n[5] ingest while the log is read: ${ingest.users} new users in ${ingest.usersPerRequest}-user requests from ${ingest.connections} connections: alone, with ` +
      `${ingest.readers} readers paging through the job's log (job + status + time filter, ${ingest.pauseMs} ms between pages), alone again (after ${elapsed()})`)
    // The runs start from the same state: fresh statistics, so that the worker's own refresh
    // (due once a table changed by half) cannot land in one run only, and no dirty pages left
    // by the CSV phase for a checkpoint to write during any of them.
    await benchDb.query('ANALYZE')
    await benchDb.query('CHECKPOINT').catch(() => {})
    const readerToken = mintToken({ secret: JWT_SECRET, roles: ['AuditLog.Read.All'], subject: 'scim-bench-log-reader', expiresIn: 3600 })
    const startJob = async (name: string): Promise<BenchJob> => await api.createStartedJob(directoryId, name, ingest.usersPerRequest)
    ingestResult = await measureIngestUnderQueries(ctx, startJob, readerToken, ingest)
    memoryByPhase.ingestUnderQueries = sampler.phasePeak()
    log(`  with readers / mean of alone: ${ingestResult.ratio}`)
  } else {
    log(`\n[5] skipped: ${elapsed()} already spent`)
  }

  // 6. The mapping engine's share, in this process (the service is idle by now).
  const mapping = measureMappingCost()
  log(`\n[6] mapping: the default API2AAD schema evaluated for ${mapping.users} users: ${mapping.microsecondsPerUser} µs per user`)

  // 7. Log queries at size. Last, as filling the scratch database loads PostgreSQL and the
  // disk for a while; the service is idle and the bench database untouched meanwhile.
  let logQueries: Results['logQueries']
  const logPlan = PLAN.logQueries
  if (Date.now() - startedAt < 330_000) {
    log(`\n[7] log queries: ${logPlan.rows} entries in the scratch database ${LOG_BENCH_DATABASE}, then ${logPlan.queries} filtered pages by job + status + time range (after ${elapsed()})`)
    const phaseFrom = Date.now()
    logDatabaseUsed = true
    const measured = await benchLogQueries(ADMIN_URL, { rows: logPlan.rows, queries: logPlan.queries, log })
    logQueries = { ...measured, queries: logPlan.queries, phaseS: Math.round((Date.now() - phaseFrom) / 1000) }
    log(`  ${logQueries.rows} entries: a filtered page p50 ${logQueries.p50Ms} ms, p99 ${logQueries.p99Ms} ms (phase ${logQueries.phaseS} s)`)
  } else {
    log(`\n[7] skipped: ${elapsed()} already spent`)
  }

  // 8. Memory.
  const memory = sampler.peaks()
  const peak = (name: string): number => Math.max(memory[name]!.vmHwmMb, memory[name]!.sampledMaxRssMb)

  const checks: Results['checks'] = [
    { goal: 'acceptance req/s (50-user, c=20)', value: acceptance.reqPerS, target: `>= ${TARGETS.acceptedReqPerS}`, pass: acceptance.reqPerS >= TARGETS.acceptedReqPerS && acceptance.non2xx === 0 && acceptance.errors === 0 },
    { goal: 'acceptance users/s', value: acceptance.usersPerS, target: `>= ${TARGETS.acceptedUsersPerS}`, pass: acceptance.usersPerS >= TARGETS.acceptedUsersPerS },
    { goal: `committed users/s (${big.users} × ${big.usersPerRequest}/req)`, value: bigResult.committedUsersPerS, target: `>= ${TARGETS.committedUsersPerS}`, pass: bigResult.committedUsersPerS >= TARGETS.committedUsersPerS && completedCleanly(bigResult) },
    ...(entraResult !== undefined
      ? [{ goal: `committed users/s (${small.users} × ${small.usersPerRequest}/req)`, value: entraResult.committedUsersPerS, target: `>= ${TARGETS.committedUsersPerS}`, pass: entraResult.committedUsersPerS >= TARGETS.committedUsersPerS && completedCleanly(entraResult) }]
      : []),
    ...(csvResult !== undefined
      ? [{ goal: `csv upload rows/s (${csv.rows} rows)`, value: csvResult.rowsPerSecond, target: `>= ${TARGETS.csvRowsPerS}`, pass: csvResult.rowsPerSecond >= TARGETS.csvRowsPerS },
          { goal: 'csv upload rows committed, none failed', value: csvResult.directoryUsers, target: `= ${csv.rows}`, pass: csvResult.directoryUsers === csv.rows && csvResult.processed === csv.rows && csvResult.failed === 0 && csvResult.failedLogEntries === 0 && !csvResult.interrupted }]
      : csvError !== undefined ? [{ goal: `csv upload rows/s (${csv.rows} rows)`, value: 0, target: 'completes', pass: false }] : []),
    ...(ingestResult !== undefined
      ? [{ goal: 'ingest with log reads / without', value: ingestResult.ratio, target: `>= ${TARGETS.ingestWithQueriesRatio}`, pass: ingestResult.ratio >= TARGETS.ingestWithQueriesRatio && ingestResult.queries.queries > 0 && ingestResult.queries.failed === 0 && [ingestResult.alone, ingestResult.withQueries, ingestResult.aloneAfter].every(completedCleanly) }]
      : []),
    { goal: 'idle accept→commit p99, server (ms)', value: idleResult.serverP99Ms, target: `<= ${TARGETS.idleP99Ms}`, pass: idleResult.serverP99Ms <= TARGETS.idleP99Ms },
    { goal: 'idle POST→completed p99, client (ms)', value: idleResult.clientP99Ms, target: `<= ${TARGETS.idleP99Ms}`, pass: idleResult.clientP99Ms <= TARGETS.idleP99Ms },
    { goal: 'default mappings µs/user', value: mapping.microsecondsPerUser, target: `<= ${TARGETS.mappingMicrosecondsPerUser}`, pass: mapping.microsecondsPerUser <= TARGETS.mappingMicrosecondsPerUser },
    ...(logQueries !== undefined
      ? [{ goal: `log page p99, ${logQueries.rows} entries (ms)`, value: logQueries.p99Ms, target: `<= ${TARGETS.logQueryP99Ms}`, pass: logQueries.p99Ms <= TARGETS.logQueryP99Ms }]
      : []),
    { goal: 'API peak RSS (MB)', value: peak('api'), target: `<= ${TARGETS.apiRssMb}`, pass: peak('api') <= TARGETS.apiRssMb },
    { goal: 'worker peak RSS (MB)', value: peak('worker'), target: `<= ${TARGETS.workerRssMb}`, pass: peak('worker') <= TARGETS.workerRssMb }
  ]

  const results: Results = {
    environment: {
      cpus: os.cpus().length,
      node: process.version,
      runMode: build.mode,
      apiProcesses: API_PROCESSES,
      queue: redisUsed ? 'redis' : 'postgres (Redis unreachable)',
      postgres: pgSettings,
      analyzeEveryMs: ANALYZE_EVERY_MS ?? null,
      quick: QUICK,
      durationS: Math.round((Date.now() - startedAt) / 1000)
    },
    acceptance,
    endToEnd: { bigRequests: bigResult, ...(entraResult !== undefined ? { entraRequests: entraResult } : {}) },
    ...(csvResult !== undefined ? { csvUpload: csvResult } : {}),
    ...(csvError !== undefined ? { csvUploadError: csvError } : {}),
    ...(ingestResult !== undefined ? { ingestUnderQueries: ingestResult } : {}),
    idleLatency: idleResult,
    mapping,
    ...(logQueries !== undefined ? { logQueries } : {}),
    memory,
    memoryByPhase,
    checks
  }
  printReport(results)
}

/** An end-to-end run that finished in time with every user in the directory and no failed operation. */
function completedCleanly (result: EndToEndResult): boolean {
  return !result.timedOut && result.directoryUsers === result.users && result.failedLogEntries === 0
}

function printReport (results: Results): void {
  const { acceptance, endToEnd, csvUpload, ingestUnderQueries, idleLatency, logQueries, memory, memoryByPhase, checks } = results
  const e2eLine = (name: string, r: EndToEndResult): string =>
    `  ${name.padEnd(26)} ${String(r.committedUsersPerS).padStart(7)} users/s committed  (span ${r.committedSpanS} s; upload ${r.uploadS} s = ${r.acceptedUsersPerS} users/s accepted; ` +
    `worker ${r.processMsP50}/${r.processMsP99} ms per request p50/p99, busy ${Math.round(r.workerBusyShare * 100)} %; accept→commit p99 ${r.acceptToCommitP99Ms} ms; ` +
    `directory_users tuples read per request ${r.directoryTuplesReadPerRequest}; ` +
    `users ${r.directoryUsers}/${r.users}, failed logs ${r.failedLogEntries}/${r.logEntries}${r.timedOut ? '; TIMED OUT' : ''})`
  log('\n================================================================ results')
  log(`acceptance (job paused, c=${acceptance.connections}, ${acceptance.durationS} s, ${acceptance.bodyBytes} B bodies):`)
  log(`  ${acceptance.reqPerS} req/s = ${acceptance.usersPerS} users/s; latency p50 ${acceptance.latencyP50Ms} ms, p99 ${acceptance.latencyP99Ms} ms, max ${acceptance.latencyMaxMs} ms; ` +
    `non-2xx ${acceptance.non2xx}, errors ${acceptance.errors}, timeouts ${acceptance.timeouts}; committed rows ${acceptance.committedRows}/${acceptance.accepted}`)
  log('end to end (new users, one job, started):')
  log(e2eLine(`${endToEnd.bigRequests.users} × ${endToEnd.bigRequests.usersPerRequest}/req`, endToEnd.bigRequests))
  if (endToEnd.entraRequests !== undefined) log(e2eLine(`${endToEnd.entraRequests.users} × ${endToEnd.entraRequests.usersPerRequest}/req`, endToEnd.entraRequests))
  log(`idle single-user (${idleLatency.requests} requests, ${idleLatency.pauseMs} ms apart, ${idleLatency.completed} completed):`)
  log(`  accept→commit (SQL) p50 ${idleLatency.serverP50Ms} ms, p99 ${idleLatency.serverP99Ms} ms, max ${idleLatency.serverMaxMs} ms ` +
    `(= wait p50 ${idleLatency.waitP50Ms} ms + worker processing p50 ${idleLatency.processP50Ms} ms, p99 ${idleLatency.processP99Ms} ms); ` +
    `client POST→completed p50 ${idleLatency.clientP50Ms} ms, p99 ${idleLatency.clientP99Ms} ms (${idleLatency.clientSamples} samples); POST→202 p50 ${idleLatency.httpP50Ms} ms, p99 ${idleLatency.httpP99Ms} ms`)
  if (csvUpload !== undefined) {
    log(`csv upload (${csvUpload.rows} rows by the uploader, ${PLAN.csvUpload.batchSize}-row requests, ${PLAN.csvUpload.concurrency} in flight, followed to every outcome):`)
    log(`  ${csvUpload.rowsPerSecond} rows/s end to end (wall ${csvUpload.wallSeconds} s; every row accepted after ${csvUpload.acceptedSeconds} s); processed ${csvUpload.processed}/${csvUpload.rows}, failed ${csvUpload.failed}; ` +
      `directory_users ${csvUpload.directoryUsers}, failed logs ${csvUpload.failedLogEntries}/${csvUpload.logEntries}${csvUpload.interrupted ? '; TIMED OUT' : ''}`)
  }
  if (ingestUnderQueries !== undefined) {
    const { alone, withQueries, aloneAfter, ratio, queries } = ingestUnderQueries
    log(`ingest while the log is read (fresh job each, ${alone.users} × ${alone.usersPerRequest}/req):`)
    log(e2eLine('alone', alone))
    log(e2eLine(`${queries.readers} log readers`, withQueries))
    log(e2eLine('alone again', aloneAfter))
    log(`  with readers / mean of alone ${ratio}; log pages read while ingesting: ${queries.queries} (${queries.queriesPerS}/s, ${queries.pauseMs} ms pause per reader), ` +
      `p50 ${queries.p50Ms} ms, p99 ${queries.p99Ms} ms, failed ${queries.failed}${queries.firstError !== undefined ? ` (${queries.firstError})` : ''}`)
  }
  if (logQueries !== undefined) {
    log(`log queries at size (scratch database, ${logQueries.rows} entries; ${logQueries.queries} pages by job + status + time range through the route's query function):`)
    log(`  p50 ${logQueries.p50Ms} ms, p99 ${logQueries.p99Ms} ms (fill and queries ${logQueries.phaseS} s)`)
  }
  log(`memory (MB): api VmHWM ${memory.api!.vmHwmMb}, sampled max ${memory.api!.sampledMaxRssMb}; worker VmHWM ${memory.worker!.vmHwmMb}, sampled max ${memory.worker!.sampledMaxRssMb}`)
  log(`  peak RSS by phase (api/worker): ${Object.entries(memoryByPhase).map(([phase, peaks]) => `${phase} ${peaks.api}/${peaks.worker}`).join(', ')}`)

  log(`\nCPU by component during each phase (cores, of ${os.cpus().length}; "other" = everything else on the machine):`)
  log(`  ${'phase'.padEnd(22)} ${['api', 'worker', 'postgres', 'redis', 'bench', 'other', 'total'].map(name => name.padStart(9)).join('')}`)
  const cpuRow = (name: string, cores: Record<string, number>): void => {
    const names = ['api', 'worker', 'postgres', 'redis', 'bench', 'other']
    const total = names.reduce((sum, key) => sum + (cores[key] ?? 0), 0)
    log(`  ${name.padEnd(22)} ${[...names.map(key => cores[key] ?? 0), Math.round(total * 100) / 100].map(value => value.toFixed(2).padStart(9)).join('')}`)
  }
  cpuRow('1 acceptance', acceptance.cores)
  cpuRow(`2a e2e ×${endToEnd.bigRequests.usersPerRequest}`, endToEnd.bigRequests.cores)
  if (endToEnd.entraRequests !== undefined) cpuRow(`2b e2e ×${endToEnd.entraRequests.usersPerRequest}`, endToEnd.entraRequests.cores)
  if (csvUpload !== undefined) cpuRow('4 csv upload', csvUpload.cores)
  if (ingestUnderQueries !== undefined) {
    cpuRow('5a ingest alone', ingestUnderQueries.alone.cores)
    cpuRow('5b ingest + log reads', ingestUnderQueries.withQueries.cores)
    cpuRow('5c ingest alone again', ingestUnderQueries.aloneAfter.cores)
  }

  log('\ngoal                                         value        target    result')
  for (const check of checks) log(`${check.goal.padEnd(44)} ${String(check.value).padStart(8)}  ${check.target.padStart(10)}    ${check.pass ? 'PASS' : 'MISS'}`)
  log('\nJSON:')
  log(JSON.stringify(results, null, 2))
}

main().then(
  async () => { await cleanup(); log(`done in ${elapsed()}`) },
  async (err: Error) => {
    log(`bench failed: ${err.stack ?? err.message}`)
    for (const service of running) if (service.output.length > 0) log(`last ${service.role} output:\n  ${service.output.slice(-10).join('\n  ')}`)
    await cleanup()
    process.exitCode = 1
  })
