import type { Db } from '../db/pool.js'

/** How long one reading serves a job's uploads in this process. */
const TTL_MS = 1000
/** Processed operations are counted over this window… */
const DRAIN_WINDOW_SECONDS = 60
/** …but at most this many of the newest, so the reading costs the same however fast the job runs. */
const DRAIN_SAMPLE_LIMIT = 10_000

export interface BacklogReading {
  /** Operations of the job's requests still queued or processing. */
  waitingOperations: number
  /** Operations the job processed per second recently; 0 when it processed none in the window. */
  drainPerSecond: number
}

// The backlog walks the partial index bulk_requests_pending, so its cost follows the waiting
// requests, not the job's history. The drain rate reads the newest provisioning log entries
// through provisioning_logs_job_time (one entry per processed operation): their number over
// the time since the oldest of them, so a job that started processing ten seconds ago is
// measured over those ten seconds, not diluted over the whole window.
const READ_SQL = `
  SELECT (SELECT coalesce(sum(operation_count), 0)::float8 FROM bulk_requests
          WHERE job_id = $1 AND state IN ('queued', 'processing')) AS waiting_operations,
         recent.operations, recent.seconds
  FROM (SELECT count(*)::int AS operations, extract(epoch FROM clock_timestamp() - min(activity_at))::float8 AS seconds
        FROM (SELECT activity_at FROM provisioning_logs
              WHERE job_id = $1 AND activity_at > now() - make_interval(secs => $2)
              ORDER BY activity_at DESC LIMIT $3) newest) recent`

interface CachedReading {
  pending: Promise<BacklogReading | undefined>
  /** The reading once taken, adjusted by what this process accepts after it. */
  reading?: BacklogReading
  expires: number
}

/**
 * A job's waiting backlog and drain rate for the upload path, read at most once a second
 * per job and process: at hundreds of uploads a second a query per upload would cost more
 * than the uploads. Within the second, operations this process accepts are added to its
 * reading, so a burst into one process cannot overshoot the bound by a second's worth.
 */
export class JobBacklog {
  private readonly cache = new Map<string, CachedReading>()

  constructor (private readonly db: Db, private readonly log: { warn: (details: object, message: string) => void }) {}

  /** The job's reading, or undefined when it could not be taken (uploads are then not held back). */
  async read (jobId: string, now = Date.now()): Promise<BacklogReading | undefined> {
    const hit = this.cache.get(jobId)
    if (hit !== undefined && hit.expires > now) return hit.reading ?? await hit.pending
    if (this.cache.size > 10_000) this.cache.clear()
    // Concurrent uploads of one job share a single query.
    const entry: CachedReading = { pending: this.query(jobId), expires: now + TTL_MS }
    void entry.pending.then(reading => { entry.reading = reading })
    this.cache.set(jobId, entry)
    return await entry.pending
  }

  /** Counts operations this process just accepted for the job until the next reading. */
  noteAccepted (jobId: string, operations: number): void {
    const reading = this.cache.get(jobId)?.reading
    if (reading !== undefined) reading.waitingOperations += operations
  }

  private async query (jobId: string): Promise<BacklogReading | undefined> {
    try {
      const { rows: [row] } = await this.db.query(READ_SQL, [jobId, DRAIN_WINDOW_SECONDS, DRAIN_SAMPLE_LIMIT])
      const seconds = Math.max(1, Number(row.seconds ?? 0))
      return { waitingOperations: Number(row.waiting_operations), drainPerSecond: row.operations / seconds }
    } catch (err) {
      // The upload itself needs the database and will report its own error; back-pressure
      // only steps aside until the next reading.
      this.log.warn({ err, jobId }, 'job backlog not readable; uploads are not held back until it is')
      return undefined
    }
  }
}
