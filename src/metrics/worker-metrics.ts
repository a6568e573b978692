import { performance } from 'node:perf_hooks'
import { Counter, Gauge, Histogram } from 'prom-client'
import { processRegistry } from './registry.js'

const operationsProcessed = new Counter({
  name: 'scim_inbound_operations_processed_total',
  help: 'Operations applied by this process\'s workers and committed, by provisioning action and status (as the job statistics count them).',
  labelNames: ['action', 'status'] as const,
  registers: [processRegistry]
})

const acceptToCommit = new Histogram({
  name: 'scim_inbound_accept_to_commit_seconds',
  help: 'From a bulk request\'s acceptance (received_at) to the commit of its batch (completed_at), per client request.',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  registers: [processRegistry]
})

/** Batches of all jobs in progress in this process; busy time runs while it is above zero. */
let inProgress = 0
/** When busy time was last added to the counter (performance.now(), milliseconds). */
let busyAccountedUntil = 0

const busySeconds = new Counter({
  name: 'scim_inbound_worker_busy_seconds_total',
  help: 'Seconds this process spent with at least one job\'s requests in progress; its rate is the worker\'s busy ratio.',
  registers: [processRegistry],
  // A scrape in the middle of a long batch sees the time spent so far, not a jump at its end.
  collect () {
    if (inProgress > 0) accountBusyTime()
  }
})

// Registered for its collect(); nothing sets it otherwise.
export const jobsInProgress = new Gauge({
  name: 'scim_inbound_worker_jobs_in_progress',
  help: 'Provisioning jobs whose requests this process is processing right now.',
  registers: [processRegistry],
  collect () { this.set(inProgress) }
})

function accountBusyTime (): void {
  const now = performance.now()
  busySeconds.inc((now - busyAccountedUntil) / 1000)
  busyAccountedUntil = now
}

/** Marks the start of processing a job's requests; call the returned function when it ends. */
export function beginBusy (): () => void {
  if (inProgress++ === 0) busyAccountedUntil = performance.now()
  let ended = false
  return () => {
    if (ended) return
    ended = true
    accountBusyTime()
    inProgress--
  }
}

export interface CommittedRequest {
  origin: string
  acceptToCommitSeconds: number
}

/**
 * Records a committed batch: its operations tallied first, so the cost per batch is one
 * increment per action × status seen, not one per operation. Requests a restart queued
 * (origin `resync`) were never accepted from a client and have no acceptance latency.
 */
export function recordBatchCommitted (outcomes: ReadonlyArray<{ action: string, status: string }>, requests: readonly CommittedRequest[]): void {
  const tally = new Map<string, Map<string, number>>()
  for (const { action, status } of outcomes) {
    let byStatus = tally.get(action)
    if (byStatus === undefined) tally.set(action, byStatus = new Map())
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
  }
  for (const [action, byStatus] of tally) {
    for (const [status, count] of byStatus) operationsProcessed.inc({ action, status }, count)
  }
  for (const request of requests) if (request.origin === 'client') acceptToCommit.observe(request.acceptToCommitSeconds)
}
