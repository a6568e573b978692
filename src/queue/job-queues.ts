import type { QueueBackend, RequestJobData, RequestQueue } from './backend.js'

/** One BullMQ queue per provisioning job: the unit of ordering. */
export function queueNameFor (jobId: string): string {
  return `sync.${jobId}`
}

/**
 * Producer side of the per-job queues, shared by the API (enqueue on accept, pause/resume
 * on start/pause) and by workers (the sweeper). Queue handles are cached per process.
 */
export class JobQueues {
  private readonly queues = new Map<string, RequestQueue>()

  constructor (readonly backend: QueueBackend) {}

  get (jobId: string): RequestQueue {
    let queue = this.queues.get(jobId)
    if (queue === undefined) {
      queue = this.backend.createQueue(queueNameFor(jobId))
      this.queues.set(jobId, queue)
    }
    return queue
  }

  /** The BullMQ job id is the request id, so enqueueing twice is a no-op. */
  async enqueue (data: RequestJobData): Promise<void> {
    // A failed attempt (e.g. a uniqueness race with another job writing the same directory)
    // is retried soon; after the last one the sweeper takes over.
    await this.get(data.jobId).add('bulkUpload', data, {
      jobId: data.requestId,
      removeOnComplete: true,
      removeOnFail: 1000,
      attempts: 3,
      backoff: { type: 'exponential', delay: 500 }
    })
  }

  /**
   * Makes the queue reflect the job's state in PostgreSQL: one request at a time across
   * every worker process, and nothing taken while the job is not Active. Re-applied by the
   * sweeper because a Redis without persistence forgets both.
   */
  async applyJobState (jobId: string, active: boolean): Promise<void> {
    const queue = this.get(jobId)
    if (await queue.getGlobalConcurrency() !== 1) await queue.setGlobalConcurrency(1)
    const paused = await queue.isPaused()
    if (active && paused) await queue.resume()
    if (!active && !paused) await queue.pause()
  }

  async close (): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map(queue => queue.close()))
    this.queues.clear()
  }
}
