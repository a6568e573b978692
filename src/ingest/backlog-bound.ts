import type { SyncJob } from '../jobs/repository.js'
import { GraphError } from '../http/graph-error.js'
import type { BacklogReading, JobBacklog } from './job-backlog.js'

/**
 * Retry-After when the job is not processing (paused, quarantined, never started) or has
 * processed nothing lately: long enough not to hammer it, short enough that a client sees
 * a restart within a minute. Also the ceiling of a computed Retry-After, so a slow job
 * never sends its clients away for hours on one estimate.
 */
export const MAX_RETRY_AFTER_SECONDS = 60

/** Back-pressure on uploads: a job holding too much unprocessed work refuses more for a while. */
export class BacklogBound {
  constructor (private readonly backlog: JobBacklog, private readonly serviceDefault: number) {}

  /** Throws the 429 when the job's waiting operations have reached its bound. */
  async assertRoom (job: SyncJob): Promise<void> {
    const bound = backlogBound(job, this.serviceDefault)
    if (bound === null) return
    assertBacklogRoom(job, await this.backlog.read(job.id), bound)
  }

  /** Counts an accepted request's operations into this process's reading of the job. */
  noteAccepted (jobId: string, operations: number): void {
    this.backlog.noteAccepted(jobId, operations)
  }
}

/** The job's bound in operations: its own setting, else the service's; null when unbounded. */
export function backlogBound (job: SyncJob, serviceDefault: number): number | null {
  return job.settings.maxBacklogOperations ?? (serviceDefault > 0 ? serviceDefault : null)
}

/**
 * Seconds until the job has processed what it holds above its bound, at the rate it
 * processed recently; at least 1, at most MAX_RETRY_AFTER_SECONDS.
 */
export function backlogRetryAfterSeconds (reading: BacklogReading, bound: number, processing: boolean): number {
  if (!processing || reading.drainPerSecond <= 0) return MAX_RETRY_AFTER_SECONDS
  const excess = reading.waitingOperations - bound + 1
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(excess / reading.drainPerSecond)))
}

/**
 * Back-pressure: throws the 429 when the job's waiting operations have reached its bound.
 * Checked before the body is read, so a refused upload costs nothing and stores nothing.
 */
export function assertBacklogRoom (job: SyncJob, reading: BacklogReading | undefined, bound: number | null): void {
  if (bound === null || reading === undefined || reading.waitingOperations < bound) return
  const processing = job.statusCode === 'Active'
  const retryAfter = backlogRetryAfterSeconds(reading, bound, processing)
  const waiting = `${count(reading.waitingOperations)} operation${reading.waitingOperations === 1 ? '' : 's'} waiting`
  const rate = `${reading.drainPerSecond >= 10 ? Math.round(reading.drainPerSecond) : Math.round(reading.drainPerSecond * 10) / 10} operations per second`
  const why = !processing
    ? `is not processing them (state ${job.statusCode}${job.statusCode === 'Quarantine' ? '; see status.quarantine' : ''}): start it to drain the backlog`
    : reading.drainPerSecond > 0
      ? `is processing about ${rate}`
      : `has processed none in the last minute`
  const error = new GraphError(429, 'TooManyRequests',
    `Provisioning job ${job.id} has ${waiting}, at or above its bound of ${count(bound)} (setting maxBacklogOperations), and ${why}. ` +
    `Nothing from this request was stored; retry after ${retryAfter} second${retryAfter === 1 ? '' : 's'} (Retry-After).`,
    [{ code: 'backlogFull', message: `${waiting}; bound ${count(bound)}; ${processing ? `draining at ${rate}` : 'not draining'}`, limit: bound }])
  error.headers['retry-after'] = String(retryAfter)
  throw error
}

const count = (value: number): string => Math.round(value).toLocaleString('en-US')
