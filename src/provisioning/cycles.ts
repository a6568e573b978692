import { randomUUID } from 'node:crypto'
import type { DbClient } from '../db/pool.js'
import { withDefaults, type JobSettings } from '../jobs/settings.js'
import type { Quarantine } from '../jobs/quarantine.js'
import type { OperationOutcome } from './outcome.js'

/** The cycle a batch runs in, with the counters the job's thresholds are judged on. */
export interface CycleState {
  cycleId: string
  began: boolean
  deletes: number
  evaluated: number
  failures: number
  settings: JobSettings
  quarantine: Quarantine | null
  servicePrincipalId: string
  /** The job's status when the batch locked it: only an Active job's batch may proceed. */
  statusCode: string
  /** The version of the job's schema the batch maps with (it cannot change while the batch holds the job). */
  schemaVersion: number
}

/**
 * Enters the job's cycle for a batch: the current one, or a new one when the job's queue ran
 * dry (or after a start or restart). Locks the job row, which serializes a job's batches.
 */
export async function enterCycle (client: DbClient, jobId: string): Promise<CycleState> {
  const { rows: [job] } = await client.query(
    `SELECT j.current_cycle_id, j.cycle_ended_at, j.status_code, j.schema_version, j.settings, j.quarantine, j.service_principal_id, c.deletes, c.evaluated, c.failures
     FROM sync_jobs j LEFT JOIN sync_cycles c ON c.id = j.current_cycle_id WHERE j.id = $1 FOR NO KEY UPDATE OF j`, [jobId])
  const common = { settings: withDefaults(job.settings), quarantine: job.quarantine ?? null, servicePrincipalId: job.service_principal_id, statusCode: job.status_code as string, schemaVersion: job.schema_version as number }
  if (job.current_cycle_id !== null && job.cycle_ended_at === null) {
    // A cycle begun before cycles were recorded has no row yet; it gets one now.
    if (job.deletes === null) await client.query('INSERT INTO sync_cycles (id, job_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [job.current_cycle_id, jobId])
    return { cycleId: job.current_cycle_id, began: false, deletes: job.deletes ?? 0, evaluated: job.evaluated ?? 0, failures: job.failures ?? 0, ...common }
  }
  const cycleId = randomUUID()
  await client.query('INSERT INTO sync_cycles (id, job_id) VALUES ($1, $2)', [cycleId, jobId])
  await client.query('UPDATE sync_jobs SET current_cycle_id = $2, cycle_ended_at = NULL WHERE id = $1', [jobId, cycleId])
  return { cycleId, began: true, deletes: 0, evaluated: 0, failures: 0, ...common }
}

/** Adds a batch's operations to its cycle: counters for the thresholds, counts per action × status for statistics. */
export async function recordCycleProgress (client: DbClient, cycle: CycleState, outcomes: OperationOutcome[], appliedDeletes: number): Promise<void> {
  const counts = new Map<string, { action: string, status: string, count: number }>()
  let failures = 0
  for (const outcome of outcomes) {
    if (outcome.status === 'failure') failures++
    const key = `${outcome.action}\u0000${outcome.status}`
    const entry = counts.get(key) ?? { action: outcome.action, status: outcome.status, count: 0 }
    entry.count++
    counts.set(key, entry)
  }
  cycle.deletes += appliedDeletes
  cycle.evaluated += outcomes.length
  cycle.failures += failures
  await client.query('UPDATE sync_cycles SET deletes = $2, evaluated = $3, failures = $4 WHERE id = $1', [cycle.cycleId, cycle.deletes, cycle.evaluated, cycle.failures])
  if (counts.size === 0) return
  await client.query(
    `INSERT INTO sync_cycle_counts (cycle_id, action, status, count)
     SELECT $1, x.action, x.status, x.count FROM json_to_recordset($2::json) AS x(action text, status text, count bigint)
     ON CONFLICT (cycle_id, action, status) DO UPDATE SET count = sync_cycle_counts.count + EXCLUDED.count`,
    [cycle.cycleId, JSON.stringify([...counts.values()])])
}

/**
 * Ends the cycle when nothing else of the job waits. Returns whether it ended (a failure
 * digest may be due).
 */
export async function endCycleIfIdle (client: DbClient, jobId: string, cycleId: string, requestIds: string[]): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE sync_jobs SET cycle_ended_at = clock_timestamp() WHERE id = $1 AND NOT EXISTS (
       SELECT 1 FROM bulk_requests WHERE job_id = $1 AND state IN ('queued', 'processing') AND NOT (id = ANY($2::uuid[])))`, [jobId, requestIds])
  if (rowCount === 0) return false
  await client.query('UPDATE sync_cycles SET ended_at = clock_timestamp() WHERE id = $1', [cycleId])
  return true
}
