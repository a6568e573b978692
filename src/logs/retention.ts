import type { Logger } from 'pino'
import type { Db } from '../db/pool.js'

/** Rows per DELETE: each statement is short, so it never holds up the writes around it for long. */
export const RETENTION_BATCH_SIZE = 5000
/** Pause between statements, leaving the disk and WAL to ingest in between. */
export const RETENTION_PAUSE_MS = 200
/** How often a worker looks for expired entries. */
export const RETENTION_INTERVAL_MS = 15 * 60_000
/** The first look comes soon after start, so a worker restarted more often than the interval still removes them. */
export const RETENTION_FIRST_RUN_MS = 30_000

export interface ExpiryOptions {
  retentionDays: number
  batchSize?: number
  pauseMs?: number
  /** Checked between statements; a closing worker stops mid-way and the rest waits for the next run. */
  stopped?: () => boolean
}

// The oldest entries first, found through provisioning_logs_time. SKIP LOCKED: two workers
// running retention at once delete different rows instead of waiting on each other.
const DELETE_SQL = `
  DELETE FROM provisioning_logs WHERE id IN (
    SELECT id FROM provisioning_logs
    WHERE activity_at < now() - make_interval(days => $1)
    ORDER BY activity_at LIMIT $2
    FOR UPDATE SKIP LOCKED)`

/**
 * Deletes the entries older than `retentionDays` in statements of `batchSize` rows with a
 * pause between them. Each statement commits on its own and touches only old rows, which
 * nothing else writes: ingest, adding new rows, never waits for it. Returns the number of
 * entries deleted.
 */
export async function deleteExpiredLogs (db: Db, options: ExpiryOptions): Promise<number> {
  const { retentionDays, batchSize = RETENTION_BATCH_SIZE, pauseMs = RETENTION_PAUSE_MS, stopped = () => false } = options
  if (retentionDays <= 0) return 0
  let deleted = 0
  for (;;) {
    if (stopped()) return deleted
    const { rowCount } = await db.query(DELETE_SQL, [retentionDays, batchSize])
    deleted += rowCount ?? 0
    if ((rowCount ?? 0) < batchSize) return deleted
    await new Promise(resolve => setTimeout(resolve, pauseMs))
  }
}

/**
 * Deleted rows free their space for new ones only once vacuumed. autovacuum does that; a
 * server that runs without it (as some do, for bulk loads) would grow the log for ever, so
 * there the run vacuums the table itself. VACUUM takes no lock that ingest waits for.
 */
export async function vacuumWithoutAutovacuum (db: Db): Promise<boolean> {
  const { rows: [setting] } = await db.query("SELECT current_setting('autovacuum') = 'on' AS enabled")
  if (setting.enabled === true) return false
  await db.query('VACUUM provisioning_logs')
  return true
}

export interface RetentionOptions {
  db: Db
  log: Logger
  /** LOG_RETENTION_DAYS; 0 keeps entries for ever. */
  retentionDays: number
  intervalMs?: number
  firstRunMs?: number
  batchSize?: number
  pauseMs?: number
}

/**
 * Runs deleteExpiredLogs (and, where autovacuum is off, a VACUUM after it) in a worker process: soon after start, then every interval. Runs
 * never overlap (the next is scheduled when one ends) and a failure is logged and retried at
 * the next run.
 */
export class LogRetention {
  private timer?: NodeJS.Timeout
  private running: Promise<void> = Promise.resolve()
  private closed = false

  constructor (private readonly options: RetentionOptions) {}

  start (): void {
    if (this.options.retentionDays <= 0) {
      this.options.log.info('LOG_RETENTION_DAYS is 0: provisioning log entries are kept for ever')
      return
    }
    this.schedule(this.options.firstRunMs ?? RETENTION_FIRST_RUN_MS)
  }

  /** One run now (after any run in progress); resolves with the number of entries deleted. */
  async runOnce (): Promise<number> {
    let deleted = 0
    this.running = this.running.then(async () => {
      const { db, retentionDays, batchSize, pauseMs, log } = this.options
      const started = Date.now()
      deleted = await deleteExpiredLogs(db, { retentionDays, batchSize, pauseMs, stopped: () => this.closed })
      if (deleted === 0) return
      const vacuumed = !this.closed && await vacuumWithoutAutovacuum(db)
      log.info({ deleted, vacuumed, retentionDays, ms: Date.now() - started }, 'deleted expired provisioning log entries')
    }).catch(err => {
      this.options.log.error({ err }, 'deleting expired provisioning log entries failed; tried again at the next run')
    })
    await this.running
    return deleted
  }

  /** Stops scheduling and waits for the statement in progress; a run stops between statements. */
  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    await this.running
  }

  private schedule (delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.runOnce().then(() => { if (!this.closed) this.schedule(this.options.intervalMs ?? RETENTION_INTERVAL_MS) })
    }, delayMs)
    // Retention alone must not keep a process alive that is otherwise done.
    this.timer.unref()
  }
}
