import type { Db } from '../db/pool.js'
import type { SyncJob } from './repository.js'

export const ACTIONS = ['create', 'update', 'delete', 'disable', 'stagedDelete', 'other'] as const
export const STATUSES = ['success', 'failure', 'skipped', 'warning'] as const

/** Operations per action × status; every combination present, zero when none. */
export type OperationCounts = Record<typeof ACTIONS[number], Record<typeof STATUSES[number], number>>

export interface CycleStatistics {
  id: string
  began: string
  ended: string | null
  durationMs: number | null
  operations: OperationCounts
}

export interface JobStatistics {
  currentCycle: CycleStatistics | null
  lastCycle: CycleStatistics | null
  toDate: OperationCounts
  /** Live users in the directory this job created. */
  users: number
  requests: {
    /** accepted = completed + purged + waiting, always. */
    accepted: number
    completed: number
    purged: number
    waiting: number
    waitingOperations: number
    oldestWaitingSince: string | null
    oldestWaitingAgeSeconds: number | null
  }
}

export async function readJobStatistics (db: Db, job: SyncJob): Promise<JobStatistics> {
  const [{ rows: cycles }, { rows: counts }, { rows: toDate }, { rows: [requests] }, { rows: [users] }] = await Promise.all([
    db.query(`SELECT id, began_at, ended_at FROM sync_cycles WHERE job_id = $1 ORDER BY began_at DESC LIMIT 2`, [job.id]),
    db.query(`SELECT n.cycle_id, n.action, n.status, n.count FROM sync_cycle_counts n
              WHERE n.cycle_id IN (SELECT id FROM sync_cycles WHERE job_id = $1 ORDER BY began_at DESC LIMIT 2)`, [job.id]),
    db.query(`SELECT n.action, n.status, sum(n.count)::bigint AS count FROM sync_cycle_counts n JOIN sync_cycles c ON c.id = n.cycle_id
              WHERE c.job_id = $1 GROUP BY n.action, n.status`, [job.id]),
    db.query(`SELECT count(*)::int AS accepted,
                count(*) FILTER (WHERE state = 'completed')::int AS completed,
                count(*) FILTER (WHERE state = 'purged')::int AS purged,
                count(*) FILTER (WHERE state IN ('queued', 'processing'))::int AS waiting,
                coalesce(sum(operation_count) FILTER (WHERE state IN ('queued', 'processing')), 0)::int AS waiting_operations,
                min(received_at) FILTER (WHERE state IN ('queued', 'processing')) AS oldest_waiting
              FROM bulk_requests WHERE job_id = $1 AND origin = 'client'`, [job.id]),
    db.query('SELECT count(*)::int AS n FROM directory_users WHERE directory_id = $1 AND created_by_job_id = $2 AND deleted_at IS NULL', [job.directoryId, job.id])
  ])
  const cycleStatistics = (cycle: { id: string, began_at: Date, ended_at: Date | null }): CycleStatistics => ({
    id: cycle.id,
    began: cycle.began_at.toISOString(),
    ended: cycle.ended_at?.toISOString() ?? null,
    durationMs: cycle.ended_at === null ? null : cycle.ended_at.getTime() - cycle.began_at.getTime(),
    operations: tally(counts.filter(row => row.cycle_id === cycle.id))
  })
  const [newest, previous] = cycles
  const current = newest !== undefined && newest.id === job.currentCycleId ? newest : undefined
  const last = current === undefined ? newest : previous
  const oldest: Date | null = requests.oldest_waiting
  return {
    currentCycle: current === undefined ? null : cycleStatistics(current),
    lastCycle: last === undefined ? null : cycleStatistics(last),
    toDate: tally(toDate),
    users: users.n,
    requests: {
      accepted: requests.accepted,
      completed: requests.completed,
      purged: requests.purged,
      waiting: requests.waiting,
      waitingOperations: requests.waiting_operations,
      oldestWaitingSince: oldest?.toISOString() ?? null,
      oldestWaitingAgeSeconds: oldest === null ? null : Math.max(0, Math.round((Date.now() - oldest.getTime()) / 100) / 10)
    }
  }
}

function tally (rows: Array<{ action: string, status: string, count: string | number }>): OperationCounts {
  const counts = Object.fromEntries(ACTIONS.map(action => [action, Object.fromEntries(STATUSES.map(status => [status, 0]))])) as OperationCounts
  for (const row of rows) {
    const byStatus = counts[row.action as typeof ACTIONS[number]]
    if (byStatus !== undefined && row.status in byStatus) byStatus[row.status as typeof STATUSES[number]] += Number(row.count)
  }
  return counts
}
