import { Gauge } from 'prom-client'
import type { Db } from '../db/pool.js'
import { processRegistry } from './registry.js'

/**
 * The pools this process uses, with how many holders each has: in `start` the API and the
 * worker share one pool, which stays reported until both have let it go.
 */
const trackedPools = new Map<Db, number>()

export function trackPool (pool: Db): void {
  trackedPools.set(pool, (trackedPools.get(pool) ?? 0) + 1)
}

export function untrackPool (pool: Db): void {
  const holders = trackedPools.get(pool) ?? 0
  if (holders <= 1) trackedPools.delete(pool)
  else trackedPools.set(pool, holders - 1)
}

/** The pool's application_name (scim-inbound-api, scim-inbound-worker, scim-inbound): what it serves. */
const poolName = (pool: Db): string => pool.options.application_name ?? 'scim-inbound'

/** Read from the pools when scraped: pg keeps these counts itself, so recording costs nothing. */
function poolGauge (name: string, help: string, read: (pool: Db) => number): Gauge<'pool'> {
  return new Gauge({
    name,
    help,
    labelNames: ['pool'] as const,
    registers: [processRegistry],
    collect () {
      this.reset()
      for (const pool of trackedPools.keys()) this.inc({ pool: poolName(pool) }, read(pool))
    }
  })
}

poolGauge('scim_inbound_db_pool_connections', 'PostgreSQL connections open in the pool (in use and idle).', pool => pool.totalCount)
poolGauge('scim_inbound_db_pool_idle_connections', 'PostgreSQL connections open in the pool and not in use.', pool => pool.idleCount)
poolGauge('scim_inbound_db_pool_waiting_clients', 'Queries waiting for a connection because the pool is exhausted (DB_POOL_MAX).', pool => pool.waitingCount)
poolGauge('scim_inbound_db_pool_max_connections', 'Most connections the pool opens (DB_POOL_MAX).', pool => pool.options.max ?? 10)
