import { Counter } from 'prom-client'
import { processRegistry } from './registry.js'

// Per-job labels: jobs are created by administrators, a bounded set, unlike requests or users.
const bulkRequestsAccepted = new Counter({
  name: 'scim_inbound_bulk_requests_accepted_total',
  help: 'Bulk requests accepted (202, committed), by provisioning job.',
  labelNames: ['job'] as const,
  registers: [processRegistry]
})

const operationsAccepted = new Counter({
  name: 'scim_inbound_operations_accepted_total',
  help: 'Operations in the bulk requests accepted, by provisioning job.',
  labelNames: ['job'] as const,
  registers: [processRegistry]
})

/** Counted from the response (202 on the bulkUpload route), so the upload path itself carries nothing. */
export function recordBulkRequestAccepted (jobId: string): void {
  bulkRequestsAccepted.inc({ job: jobId })
}

/** For the bulkUpload handler, which alone knows an accepted request's operation count. */
export function recordOperationsAccepted (jobId: string, operationCount: number): void {
  operationsAccepted.inc({ job: jobId }, operationCount)
}
