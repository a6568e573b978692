import type { Db } from '../db/pool.js'
import { getJob, type SyncJob } from '../jobs/repository.js'

const TTL_MS = 1000

/**
 * Job metadata for the upload path, cached for a second per process: at hundreds of
 * uploads a second the lookup would otherwise be a query per request, and a settings or
 * owner change taking a second to reach every API process is acceptable.
 */
export class JobLookup {
  private readonly cache = new Map<string, { job: SyncJob | undefined, expires: number }>()

  constructor (private readonly db: Db) {}

  async get (spId: string, jobId: string): Promise<SyncJob | undefined> {
    const key = `${spId}/${jobId}`
    const hit = this.cache.get(key)
    const now = Date.now()
    if (hit !== undefined && hit.expires > now) return hit.job
    const job = await getJob(this.db, spId, jobId)
    if (this.cache.size > 10_000) this.cache.clear()
    this.cache.set(key, { job, expires: now + TTL_MS })
    return job
  }

  /** Drops the cached job, so this process sees a change it just made at once. */
  forget (spId: string, jobId: string): void {
    this.cache.delete(`${spId}/${jobId}`)
  }
}
