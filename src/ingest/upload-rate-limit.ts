import { GraphError } from '../http/graph-error.js'

interface Bucket {
  /** Uploads the job may still make at once; refills at the limit per second, up to the limit. */
  tokens: number
  at: number
}

/**
 * A job's own upload rate (setting maxRequestsPerSecond), counted by each API process as a
 * token bucket: cheap, no shared store on the upload path. A bucket rather than counting in
 * calendar seconds: with those, a burst at the end of one second and another at the start of
 * the next passed twice the limit within a few milliseconds. With several API processes
 * behind a balancer the job's total is at most the limit times their number.
 */
export class UploadRateLimit {
  private readonly buckets = new Map<string, Bucket>()

  /** Counts an upload; throws the 429 (with Retry-After) when the job is over its rate. */
  take (jobId: string, limit: number | null, now = Date.now()): void {
    if (limit === null) return
    const bucket = this.buckets.get(jobId)
    const tokens = bucket === undefined ? limit : Math.min(limit, bucket.tokens + (now - bucket.at) * limit / 1000)
    if (tokens < 1) {
      const error = new GraphError(429, 'TooManyRequests',
        `This job accepts at most ${limit} upload${limit === 1 ? '' : 's'} per second (setting maxRequestsPerSecond); retry after the Retry-After delay.`,
        [{ code: 'rateLimited', message: `at most ${limit} per second`, limit }])
      error.headers['retry-after'] = String(Math.max(1, Math.ceil((1 - tokens) / limit)))
      throw error
    }
    if (bucket === undefined && this.buckets.size > 10_000) this.buckets.clear()
    this.buckets.set(jobId, { tokens: tokens - 1, at: now })
  }
}
