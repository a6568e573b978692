import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * The metrics this process records as it works: HTTP requests, uploads accepted, batches
 * processed, worker busy time, its PostgreSQL pool, and Node's own (RSS, event loop lag).
 * One per process, so `scim-inbound start` serves what its API and its worker record from
 * one endpoint, and a separate worker serves its own.
 */
export const processRegistry = new Registry()

let defaultMetricsEnabled = false

/** Node's process metrics, started once per process by whichever endpoint is set up first. */
export function enableDefaultMetrics (): void {
  if (defaultMetricsEnabled) return
  defaultMetricsEnabled = true
  collectDefaultMetrics({ register: processRegistry })
}

/** Prometheus text format 0.0.4, what every endpoint here answers with. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE
