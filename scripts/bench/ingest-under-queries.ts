/**
 * Ingest while the provisioning log is read: the same end-to-end run (a fresh started job,
 * the same number of new users in requests of the same size) on its own, then while a few
 * readers page through that job's log over HTTP — GET /auditLogs/provisioning filtered by
 * job + status + time range, as a console watching an upload does — then on its own again.
 * Reading the log must not slow committing down: the figure is the run with readers over the
 * mean of the two around it, so a drift of the machine's speed during the phase (the
 * directory grows, the host's neighbours come and go) is not taken for the readers' cost.
 */
import type { BenchJob } from './api-client.js'
import { measureEndToEnd, percentile, type Context, type EndToEndResult } from './measure.js'
import { bulkBodies } from './payloads.js'
import { sleep } from './processes.js'

export interface IngestUnderQueriesOptions {
  users: number
  usersPerRequest: number
  connections: number
  timeoutS: number
  /** Concurrent readers, each one query (and its next pages) at a time. */
  readers: number
  /** A reader's pause after each page, as a person or a polling console leaves between requests. */
  pauseMs: number
  /** Pages a reader follows through @odata.nextLink before it starts the next query. */
  pages: number
  /** User numbers of the first run; each next run takes the range after it, so all create new users. */
  rangeStart: number
}

/** The readers' requests sent while the run was ingesting (first POST → every request completed). */
export interface LogReadLoad {
  readers: number
  pauseMs: number
  queries: number
  queriesPerS: number
  failed: number
  firstError?: string
  /** Client-side: request sent → page read. */
  p50Ms: number
  p99Ms: number
}

export interface IngestUnderQueriesResult {
  alone: EndToEndResult
  withQueries: EndToEndResult
  aloneAfter: EndToEndResult
  /** Committed users/s with the readers running ÷ the mean of the runs before and after without. */
  ratio: number
  queries: LogReadLoad
}

/** `startJob` creates and starts a fresh job taking `usersPerRequest` operations per request. */
export async function measureIngestUnderQueries (ctx: Context, startJob: (name: string) => Promise<BenchJob>, readerToken: string, options: IngestUnderQueriesOptions): Promise<IngestUnderQueriesResult> {
  const { users, usersPerRequest } = options
  const run = async (name: string, label: string, rangeStart: number, withReaders: boolean): Promise<{ result: EndToEndResult, queries?: LogReadLoad }> => {
    const bodies = bulkBodies(rangeStart, users, usersPerRequest)
    const job = await startJob(name)
    const readers = withReaders ? startReaders(ctx.api.baseUrl, readerToken, job, options) : undefined
    // As phase 2: a moment for the worker to pick the job up (and here for the readers to start).
    await sleep(500)
    const ingestFrom = performance.now()
    const result = await measureEndToEnd(ctx, job, bodies, users, usersPerRequest, options)
    await readers?.stop()
    const queries = readers?.during(ingestFrom, ingestFrom + result.clientSpanS * 1000)
    // Paused so a backlog left by a timeout cannot spill into the next run.
    await ctx.api.setState(job, 'pause')
    ctx.log(`  ${label}: committed ${result.committedUsersPerS} users/s (span ${result.committedSpanS} s), directory_users ${result.directoryUsers}, failed log entries ${result.failedLogEntries}` +
      (queries !== undefined ? `; ${queries.queries} log pages read (${queries.queriesPerS}/s), p50 ${queries.p50Ms} ms, p99 ${queries.p99Ms} ms, failed ${queries.failed}` : ''))
    return { result, queries }
  }
  const alone = await run('ingest-alone', 'alone', options.rangeStart, false)
  const withQueries = await run('ingest-read', 'with readers', options.rangeStart + users, true)
  const aloneAfter = await run('ingest-alone-after', 'alone again', options.rangeStart + 2 * users, false)
  const aloneMean = (alone.result.committedUsersPerS + aloneAfter.result.committedUsersPerS) / 2
  return {
    alone: alone.result,
    withQueries: withQueries.result,
    aloneAfter: aloneAfter.result,
    ratio: Math.round(withQueries.result.committedUsersPerS / aloneMean * 100) / 100,
    queries: withQueries.queries!
  }
}

const STATUSES = ['success', 'skipped', 'success', 'failure']

interface Sample { at: number, ms: number, error?: string }

/** Readers paging through `job`'s log until stopped; during() sums up the requests sent in a window. */
function startReaders (baseUrl: string, token: string, job: BenchJob, options: IngestUnderQueriesOptions): { stop: () => Promise<void>, during: (from: number, to: number) => LogReadLoad } {
  const from = new Date(Date.now() - 60_000).toISOString()
  const samples: Sample[] = []
  let stopped = false
  const get = async (url: string): Promise<string | undefined> => {
    const at = performance.now()
    try {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(10_000) })
      const text = await response.text()
      if (response.status !== 200) throw new Error(`${response.status}: ${text.slice(0, 200)}`)
      samples.push({ at, ms: performance.now() - at })
      return (JSON.parse(text) as { '@odata.nextLink'?: string })['@odata.nextLink']
    } catch (err) {
      samples.push({ at, ms: performance.now() - at, error: (err as Error).message })
      return undefined
    }
  }
  const reader = async (index: number): Promise<void> => {
    for (let round = index; !stopped; round++) {
      // The window runs to a minute ahead, so the newest entries are always inside it.
      const filter = `jobId eq '${job.jobId}' and statusInfo/status eq '${STATUSES[round % STATUSES.length]!}' and ` +
        `activityDateTime ge ${from} and activityDateTime lt ${new Date(Date.now() + 60_000).toISOString()}`
      const url = new URL('/auditLogs/provisioning', baseUrl)
      url.searchParams.set('$filter', filter)
      if (round % 3 === 0) url.searchParams.set('$orderby', 'activityDateTime asc')
      let next: string | undefined = url.toString()
      for (let page = 0; page < options.pages && next !== undefined && !stopped; page++) {
        next = await get(next)
        await sleep(options.pauseMs)
      }
    }
  }
  const running = Promise.all(Array.from({ length: options.readers }, async (_, index) => await reader(index)))
  return {
    stop: async () => {
      stopped = true
      await running
    },
    during: (from, to) => {
      const sent = samples.filter(sample => sample.at >= from && sample.at <= to)
      const times = sent.filter(sample => sample.error === undefined).map(sample => sample.ms)
      const firstError = sent.find(sample => sample.error !== undefined)?.error
      return {
        readers: options.readers,
        pauseMs: options.pauseMs,
        queries: times.length,
        queriesPerS: Math.round(times.length / ((to - from) / 1000)),
        failed: sent.length - times.length,
        ...(firstError !== undefined ? { firstError } : {}),
        p50Ms: Math.round(percentile(times, 50) * 10) / 10,
        p99Ms: Math.round(percentile(times, 99) * 10) / 10
      }
    }
  }
}
