import { rowOfBulkId } from './bulk-request.js'
import type { AcceptedRequest } from './checkpoint.js'
import { callService, Interrupted, ServiceError, sleep, type CallOptions } from './service-call.js'

/** The outcome of one operation, as the request's status resource reports it. */
export interface OperationResult {
  /** The CSV row, read back from the operation's bulkId. */
  row?: number
  externalId: string | null
  action: string | null
  status: string
  errorCode: string | null
  reason: string | null
  requestId: string
}

export interface FollowOptions extends CallOptions {
  /** Every operation of a finished request. */
  onResults: (results: OperationResult[], request: AcceptedRequest) => void
  /** The oldest request has not finished for this long: the job may be paused or not started. */
  onStall?: (request: AcceptedRequest, waitedMs: number) => void
}

interface StatusResource {
  state?: string
  operations?: Array<{ bulkId?: string | null, externalId?: string | null, action?: string | null, status?: string, errorCode?: string | null, reason?: string | null }>
}

const FIRST_DELAY_MS = 100
const MAX_DELAY_MS = 2000
const STALL_NOTICE_MS = 60_000
/** At most this many status resources are read side by side, when the job is well ahead of the follower. */
const MAX_READ_AHEAD = 8

/**
 * Follows accepted requests to their outcome through their status resources (the Location
 * of each 202). The service processes a job's requests in acceptance order, so only the
 * oldest unfinished request is polled while the job works, with a growing pause. When it is
 * done, the next ones may be too (the job got ahead while the follower waited): one more is
 * read beside those that were done last time, so a follower behind catches up in a few
 * rounds, and one that keeps pace reads a waiting request's long list of pending operations
 * rarely.
 */
export class ResultFollower {
  private readonly queue: AcceptedRequest[] = []
  private finished = false
  private wake: (() => void) | undefined
  private readonly running: Promise<void>
  private failure: unknown

  constructor (private readonly options: FollowOptions) {
    // Kept until finish() so that a failure surfaces there, after the upload has had its say.
    this.running = this.run().catch((err: unknown) => { this.failure = err })
  }

  follow (request: AcceptedRequest): void {
    this.queue.push(request)
    this.wake?.()
  }

  /** No more requests will come; resolves once every one followed is finished (or on interruption). */
  async finish (): Promise<void> {
    this.finished = true
    this.wake?.()
    await this.running
    if (this.failure !== undefined) throw this.failure
  }

  get waiting (): number {
    return this.queue.length
  }

  private async run (): Promise<void> {
    let delay = FIRST_DELAY_MS
    let lastProgress = Date.now()
    let stallReported = false
    let readAhead = 1
    try {
      for (;;) {
        if (this.queue.length === 0) {
          if (this.finished) return
          await new Promise<void>(resolve => { this.wake = resolve })
          this.wake = undefined
          lastProgress = Date.now()
          continue
        }
        const batch = this.queue.slice(0, readAhead)
        const statuses = await Promise.all(batch.map(async request => await this.read(request)))
        let done = 0
        statuses.forEach((status, i) => {
          if (status.state !== 'completed' && status.state !== 'purged') return
          const request = batch[i]!
          this.queue.splice(this.queue.indexOf(request), 1)
          this.options.onResults(resultsOf(status, request), request)
          done++
        })
        if (done > 0) {
          delay = FIRST_DELAY_MS
          lastProgress = Date.now()
          stallReported = false
          readAhead = Math.min(MAX_READ_AHEAD, done + 1)
          continue
        }
        readAhead = 1
        if (!stallReported && Date.now() - lastProgress > STALL_NOTICE_MS) {
          stallReported = true
          this.options.onStall?.(this.queue[0]!, Date.now() - lastProgress)
        }
        await sleep(delay, this.options.signal)
        delay = Math.min(MAX_DELAY_MS, delay * 1.5)
      }
    } catch (err) {
      if (!(err instanceof Interrupted)) throw err
    }
  }

  private async read (request: AcceptedRequest): Promise<StatusResource> {
    if (request.location === '') throw new ServiceError(`request ${request.requestId}: the service gave no Location to follow`, 0)
    const response = await callService(`status of request ${request.requestId}`, { method: 'GET', url: request.location, headers: { accept: 'application/json' } }, this.options)
    let status: StatusResource
    try {
      status = JSON.parse(response.text) as StatusResource
    } catch {
      status = {}
    }
    if (typeof status.state !== 'string' || !Array.isArray(status.operations)) {
      throw new ServiceError(`${request.location} is not a bulk request status resource; --wait follows scim-inbound's per-request status (Entra's Location points at the job's provisioning logs)`, response.status)
    }
    return status
  }
}

function resultsOf (status: StatusResource, request: AcceptedRequest): OperationResult[] {
  return (status.operations ?? []).map(operation => {
    const row = rowOfBulkId(operation.bulkId)
    return {
      ...(row !== undefined ? { row } : {}),
      externalId: operation.externalId ?? null,
      action: operation.action ?? null,
      status: operation.status ?? (status.state === 'purged' ? 'purged' : 'unknown'),
      errorCode: operation.errorCode ?? null,
      reason: operation.reason ?? null,
      requestId: request.requestId
    }
  })
}
