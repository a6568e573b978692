import { GraphError } from '../http/graph-error.js'

/**
 * A job's own upload rate (setting maxRequestsPerSecond), counted in one-second windows by
 * each API process: cheap, no shared store on the upload path. With several API processes
 * behind a balancer the job's total is at most the limit times their number.
 */
export class UploadRateLimit {
  private readonly windows = new Map<string, { second: number, count: number }>()

  /** Counts an upload; throws the 429 (with Retry-After) when the job is over its rate. */
  take (jobId: string, limit: number | null, now = Date.now()): void {
    if (limit === null) return
    const second = Math.floor(now / 1000)
    const window = this.windows.get(jobId)
    if (window === undefined || window.second !== second) {
      if (this.windows.size > 10_000) this.windows.clear()
      this.windows.set(jobId, { second, count: 1 })
      return
    }
    if (window.count >= limit) {
      const error = new GraphError(429, 'TooManyRequests',
        `This job accepts at most ${limit} upload${limit === 1 ? '' : 's'} per second (setting maxRequestsPerSecond); retry after the Retry-After delay.`,
        [{ code: 'rateLimited', message: `at most ${limit} per second`, limit }])
      error.headers['retry-after'] = '1'
      throw error
    }
    window.count++
  }
}
