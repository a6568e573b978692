import type { Db } from '../db/pool.js'
import type { SyncJob } from './repository.js'

/** Graph's synchronizationTaskExecution, for one cycle. */
export interface CycleExecution {
  activityIdentifier: string
  timeBegan: string
  timeEnded: string | null
  /** Succeeded, or EntryLevelErrors when some operations failed; InProgress while the cycle runs. */
  state: 'Succeeded' | 'EntryLevelErrors' | 'InProgress'
  countImported: number
  countExported: number
  countExportedFailed: number
  countEscrowed: number
}

/** Graph's synchronizationStatus, read from the job and its cycles. */
export interface JobStatus {
  code: SyncJob['statusCode']
  quarantine: { currentBegan: string, seriesBegan: string, seriesCount: number, reason: string, error: { code: string, message: string, tenantActionable: boolean } } | null
  lastExecution: CycleExecution | null
  lastSuccessfulExecution: CycleExecution | null
  steadyStateLastAchievedTime: string | null
  synchronizedEntryCountByType: Array<{ key: string, value: number }>
}

interface CycleRow {
  id: string
  began_at: Date
  ended_at: Date | null
  evaluated: number
  failures: number
  exported: string
}

const CYCLE_SELECT = `SELECT c.id, c.began_at, c.ended_at, c.evaluated, c.failures,
  coalesce((SELECT sum(n.count) FROM sync_cycle_counts n WHERE n.cycle_id = c.id AND n.status = 'success' AND n.action <> 'other'), 0) AS exported
  FROM sync_cycles c`

export async function readJobStatus (db: Db, job: SyncJob): Promise<JobStatus> {
  const [{ rows: [last] }, { rows: [lastSuccessful] }, { rows: [steady] }, { rows: [users] }] = await Promise.all([
    db.query<CycleRow>(`${CYCLE_SELECT} WHERE c.job_id = $1 ORDER BY c.began_at DESC LIMIT 1`, [job.id]),
    db.query<CycleRow>(`${CYCLE_SELECT} WHERE c.job_id = $1 AND c.ended_at IS NOT NULL AND c.failures = 0 ORDER BY c.began_at DESC LIMIT 1`, [job.id]),
    db.query('SELECT cycle_ended_at FROM sync_jobs WHERE id = $1', [job.id]),
    db.query('SELECT count(*)::int AS n FROM directory_users WHERE directory_id = $1 AND created_by_job_id = $2 AND deleted_at IS NULL', [job.directoryId, job.id])
  ])
  const q = job.quarantine
  return {
    code: job.statusCode,
    quarantine: q === null
      ? null
      : { currentBegan: q.currentBegan, seriesBegan: q.seriesBegan, seriesCount: q.seriesCount, reason: q.reason, error: { code: q.errorCode, message: q.message, tenantActionable: true } },
    lastExecution: last === undefined ? null : execution(last),
    lastSuccessfulExecution: lastSuccessful === undefined ? null : execution(lastSuccessful),
    steadyStateLastAchievedTime: steady?.cycle_ended_at?.toISOString() ?? null,
    synchronizedEntryCountByType: [{ key: 'User', value: users.n }]
  }
}

function execution (cycle: CycleRow): CycleExecution {
  return {
    activityIdentifier: cycle.id,
    timeBegan: cycle.began_at.toISOString(),
    timeEnded: cycle.ended_at?.toISOString() ?? null,
    state: cycle.ended_at === null ? 'InProgress' : cycle.failures > 0 ? 'EntryLevelErrors' : 'Succeeded',
    countImported: cycle.evaluated,
    countExported: Number(cycle.exported),
    countExportedFailed: cycle.failures,
    countEscrowed: cycle.failures
  }
}
