/**
 * The measured phases. Every loop is bounded by a count and a deadline. Server-side times
 * come from bulk_requests (received_at is set when the API commits the request,
 * completed_at in the worker's transaction that applies it).
 */
import autocannon from 'autocannon'
import type pg from 'pg'
import type { ApiClient, BenchJob } from './api-client.js'
import { CpuMeter, sleep } from './processes.js'

export interface Context {
  api: ApiClient
  db: pg.Pool
  cpu: CpuMeter
  log: (line: string) => void
}

export function percentile (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]!
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits

// ---------------------------------------------------------------- 1. acceptance

export interface AcceptanceResult {
  connections: number
  durationS: number
  usersPerRequest: number
  bodyBytes: number
  accepted: number
  reqPerS: number
  usersPerS: number
  latencyP50Ms: number
  latencyP99Ms: number
  latencyMaxMs: number
  non2xx: number
  errors: number
  timeouts: number
  /** Rows in bulk_requests for the job afterwards: every 202 must be a committed row (in-flight requests at the cut-off add a few). */
  committedRows: number
  cores: Record<string, number>
}

function runAutocannon (options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (err, result) => { if (err !== null && err !== undefined) reject(err); else resolve(result) })
  })
}

/** Closed-loop load with `connections` connections cycling through the prebuilt bodies. */
export async function measureAcceptance (ctx: Context, job: BenchJob, bodies: string[], usersPerRequest: number, options: { connections: number, durationS: number, warmupS: number }): Promise<AcceptanceResult> {
  const requests: autocannon.Request[] = bodies.map(body => ({ method: 'POST', path: job.uploadPath, body }))
  const common = {
    url: ctx.api.baseUrl,
    headers: { ...ctx.api.authHeaders, 'content-type': 'application/scim+json' },
    requests,
    timeout: 10
  }
  if (options.warmupS > 0) {
    ctx.log(`  warm-up: ${options.warmupS} s at 4 connections (not counted)`)
    await runAutocannon({ ...common, connections: 4, duration: options.warmupS })
  }
  const before = await countRows(ctx, job)
  ctx.log(`  measuring: ${options.durationS} s at ${options.connections} connections`)
  const cpuFrom = ctx.cpu.snapshot()
  const result = await runAutocannon({ ...common, connections: options.connections, duration: options.durationS })
  const cpuTo = ctx.cpu.snapshot()
  // Requests in flight at the cut-off are still committed by the API; let them land.
  await sleep(1000)
  const committedRows = await countRows(ctx, job) - before
  const accepted = result['2xx']
  return {
    connections: options.connections,
    durationS: round(result.duration, 2),
    usersPerRequest,
    bodyBytes: Math.round(bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) / bodies.length),
    accepted,
    reqPerS: round(accepted / result.duration),
    usersPerS: Math.round(accepted * usersPerRequest / result.duration),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    committedRows,
    cores: CpuMeter.cores(cpuFrom, cpuTo)
  }
}

async function countRows (ctx: Context, job: BenchJob): Promise<number> {
  const { rows: [row] } = await ctx.db.query('SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1', [job.jobId])
  return row.n as number
}

// ---------------------------------------------------------------- 2. end to end

export interface EndToEndResult {
  users: number
  usersPerRequest: number
  requests: number
  connections: number
  rejected: number
  firstError?: string
  /** Client: first POST → last 202. */
  uploadS: number
  acceptedUsersPerS: number
  /** Server: first received_at → last completed_at. */
  committedSpanS: number
  committedUsersPerS: number
  /** Client: first POST → all requests seen completed (poll every 250 ms). */
  clientSpanS: number
  completedRequests: number
  timedOut: boolean
  /** Worker time per request (completed_at − started_at). */
  processMsP50: number
  processMsP99: number
  /** Share of the committed span during which the worker was inside a request. */
  workerBusyShare: number
  /** accept → commit per request, server-side. */
  acceptToCommitP50Ms: number
  acceptToCommitP99Ms: number
  directoryUsers: number
  failedLogEntries: number
  logEntries: number
  /** directory_users tuples read (index + sequential) per request: flat when the worker's lookups are index probes. */
  directoryTuplesReadPerRequest: number
  cores: Record<string, number>
}

/**
 * Posts all bodies from `connections` concurrent clients to a started job, then waits
 * until every accepted request is completed (at most `timeoutS` after the first POST).
 */
export async function measureEndToEnd (ctx: Context, job: BenchJob, bodies: string[], users: number, usersPerRequest: number, options: { connections: number, timeoutS: number }): Promise<EndToEndResult> {
  let next = 0
  let rejected = 0
  let firstError: string | undefined
  const accepted: string[] = []
  const readsFrom = await directoryTuplesRead(ctx)
  const cpuFrom = ctx.cpu.snapshot()
  const t0 = Date.now()
  const deadline = t0 + options.timeoutS * 1000
  await Promise.all(Array.from({ length: options.connections }, async () => {
    while (next < bodies.length && Date.now() < deadline) {
      const body = bodies[next++]!
      const result = await ctx.api.upload(job, body).catch((err: Error) => ({ status: 0, error: err.message, requestId: undefined }))
      if (result.status === 202 && result.requestId !== undefined) accepted.push(result.requestId)
      else { rejected++; firstError ??= `${result.status}: ${result.error ?? ''}` }
    }
  }))
  const uploadS = (Date.now() - t0) / 1000
  ctx.log(`  uploaded ${accepted.length}/${bodies.length} requests in ${uploadS.toFixed(1)} s${rejected > 0 ? `, ${rejected} rejected (${firstError ?? ''})` : ''}; waiting for the worker`)

  let completed = 0
  let lastReport = Date.now()
  while (Date.now() < deadline) {
    const { rows: [row] } = await ctx.db.query(`SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed FROM bulk_requests WHERE job_id = $1`, [job.jobId])
    completed = row.completed
    if (completed >= accepted.length) break
    if (Date.now() - lastReport > 5000) {
      ctx.log(`    ${completed}/${accepted.length} requests completed after ${((Date.now() - t0) / 1000).toFixed(0)} s`)
      lastReport = Date.now()
    }
    await sleep(250)
  }
  const clientSpanS = (Date.now() - t0) / 1000
  const cpuTo = ctx.cpu.snapshot()
  const timedOut = completed < accepted.length

  const { rows: [span] } = await ctx.db.query(
    `SELECT extract(epoch FROM max(completed_at) - min(received_at))::float8 AS span_s,
            sum(extract(epoch FROM completed_at - started_at))::float8 AS busy_s,
            sum(operation_count) FILTER (WHERE state = 'completed')::int AS users_completed
     FROM bulk_requests WHERE job_id = $1`, [job.jobId])
  const { rows: perRequest } = await ctx.db.query(
    `SELECT extract(epoch FROM completed_at - started_at)::float8 * 1000 AS process_ms,
            extract(epoch FROM completed_at - received_at)::float8 * 1000 AS accept_to_commit_ms
     FROM bulk_requests WHERE job_id = $1 AND state = 'completed'`, [job.jobId])
  const verification = await verifyJob(ctx, job)
  // Statistics reach the shared counters within a second of each transaction.
  await sleep(1200)
  const readsTo = await directoryTuplesRead(ctx)
  const committedSpanS = Number(span.span_s)
  return {
    users,
    usersPerRequest,
    requests: bodies.length,
    connections: options.connections,
    rejected,
    ...(firstError !== undefined ? { firstError } : {}),
    uploadS: round(uploadS, 2),
    acceptedUsersPerS: Math.round(accepted.length * usersPerRequest / uploadS),
    committedSpanS: round(committedSpanS, 2),
    committedUsersPerS: Math.round((span.users_completed ?? 0) / committedSpanS),
    clientSpanS: round(clientSpanS, 2),
    completedRequests: completed,
    timedOut,
    processMsP50: round(percentile(perRequest.map(row => row.process_ms), 50)),
    processMsP99: round(percentile(perRequest.map(row => row.process_ms), 99)),
    workerBusyShare: round(Number(span.busy_s) / committedSpanS, 2),
    acceptToCommitP50Ms: round(percentile(perRequest.map(row => row.accept_to_commit_ms), 50)),
    acceptToCommitP99Ms: round(percentile(perRequest.map(row => row.accept_to_commit_ms), 99)),
    ...verification,
    directoryTuplesReadPerRequest: Math.round((readsTo - readsFrom) / Math.max(1, completed)),
    cores: CpuMeter.cores(cpuFrom, cpuTo)
  }
}

async function directoryTuplesRead (ctx: Context): Promise<number> {
  const { rows: [row] } = await ctx.db.query(
    `SELECT coalesce(t.seq_tup_read, 0) + coalesce((SELECT sum(idx_tup_read) FROM pg_stat_user_indexes i WHERE i.relid = t.relid), 0) AS n
     FROM pg_stat_user_tables t WHERE t.relname = 'directory_users'`)
  return Number(row?.n ?? 0)
}

/** Users the job created and its log entries (all, and those not `success`). */
export async function verifyJob (ctx: Context, job: BenchJob): Promise<{ directoryUsers: number, failedLogEntries: number, logEntries: number }> {
  const { rows: [users] } = await ctx.db.query('SELECT count(*)::int AS n FROM directory_users WHERE created_by_job_id = $1', [job.jobId])
  const { rows: [logs] } = await ctx.db.query(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'success')::int AS failed FROM provisioning_logs WHERE job_id = $1`, [job.jobId])
  return { directoryUsers: users.n, failedLogEntries: logs.failed, logEntries: logs.n }
}

// ---------------------------------------------------------------- 3. idle latency

export interface IdleLatencyResult {
  requests: number
  pauseMs: number
  completed: number
  /** Server: received_at → completed_at. */
  serverP50Ms: number
  serverP99Ms: number
  serverMaxMs: number
  /** Split of accept→commit: waiting (received_at → started_at) and the worker's processing (started_at → completed_at). */
  waitP50Ms: number
  processP50Ms: number
  processP99Ms: number
  /** Client: POST sent → status resource reads `completed`, for every `clientEvery`-th request. */
  clientSamples: number
  clientP50Ms: number
  clientP99Ms: number
  /** Client: POST → 202. */
  httpP50Ms: number
  httpP99Ms: number
  rejected: number
  directoryUsers: number
  failedLogEntries: number
}

/** Open loop at low load: one single-user request at a time, `pauseMs` apart. */
export async function measureIdleLatency (ctx: Context, job: BenchJob, bodies: string[], options: { warmup: number, pauseMs: number, clientEvery: number, timeoutS: number }): Promise<IdleLatencyResult> {
  const deadline = Date.now() + options.timeoutS * 1000
  // Warm-up: the first requests of a job pay for the worker's queue set-up and JIT.
  for (const body of bodies.slice(0, options.warmup)) {
    const result = await ctx.api.upload(job, body)
    if (result.requestId !== undefined) await waitCompleted(ctx, job, result.requestId, 10_000)
  }
  const measured = bodies.slice(options.warmup)
  const ids: string[] = []
  const http: number[] = []
  const client: number[] = []
  let rejected = 0
  for (let i = 0; i < measured.length && Date.now() < deadline; i++) {
    const started = performance.now()
    const result = await ctx.api.upload(job, measured[i]!)
    http.push(performance.now() - started)
    if (result.requestId === undefined) { rejected++; continue }
    ids.push(result.requestId)
    if (i % options.clientEvery === 0) {
      const done = await waitCompleted(ctx, job, result.requestId, 5000)
      if (done) client.push(performance.now() - started)
    }
    await sleep(options.pauseMs)
  }
  // Everything sent is applied within a few ms at this load; bounded anyway.
  let completed = 0
  for (let round = 0; round < 100; round++) {
    const { rows: [row] } = await ctx.db.query(`SELECT count(*)::int AS n FROM bulk_requests WHERE id = ANY($1::uuid[]) AND state = 'completed'`, [ids])
    completed = row.n
    if (completed >= ids.length) break
    await sleep(100)
  }
  const { rows } = await ctx.db.query(
    `SELECT extract(epoch FROM completed_at - received_at)::float8 * 1000 AS ms,
            extract(epoch FROM started_at - received_at)::float8 * 1000 AS wait_ms,
            extract(epoch FROM completed_at - started_at)::float8 * 1000 AS process_ms
     FROM bulk_requests WHERE id = ANY($1::uuid[]) AND state = 'completed'`, [ids])
  const server = rows.map(row => row.ms as number)
  const verification = await verifyJob(ctx, job)
  return {
    requests: measured.length,
    pauseMs: options.pauseMs,
    completed,
    serverP50Ms: round(percentile(server, 50)),
    serverP99Ms: round(percentile(server, 99)),
    serverMaxMs: round(Math.max(...server)),
    waitP50Ms: round(percentile(rows.map(row => row.wait_ms as number), 50)),
    processP50Ms: round(percentile(rows.map(row => row.process_ms as number), 50)),
    processP99Ms: round(percentile(rows.map(row => row.process_ms as number), 99)),
    clientSamples: client.length,
    clientP50Ms: round(percentile(client, 50)),
    clientP99Ms: round(percentile(client, 99)),
    httpP50Ms: round(percentile(http, 50)),
    httpP99Ms: round(percentile(http, 99)),
    rejected,
    directoryUsers: verification.directoryUsers,
    failedLogEntries: verification.failedLogEntries
  }
}

/** Polls the status resource (every ~2 ms) until `completed`; false after `timeoutMs`. */
async function waitCompleted (ctx: Context, job: BenchJob, requestId: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await ctx.api.requestState(job, requestId) === 'completed') return true
    await sleep(2)
  }
  return false
}
