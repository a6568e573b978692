import type { Db } from './pool.js'

/** The tables whose growth changes the plans of the provisioning statements. */
const TABLES = ['directory_users', 'provisioning_logs', 'bulk_requests']
const ANALYZE_LOCK_KEY = 727_274_002

/**
 * The statistics target of these refreshes (PostgreSQL's default is 100). They exist so a
 * table that grew is not planned as if it were still small: its row count and which
 * columns are unique, which a sample of 3,000 rows (300 × the target) tells as well as one
 * of 30,000. A directory loading its first users grows by half again and again, so they
 * come often then; on a 300,000-row table one took 0.7–1.2 s of a core at 100 and
 * 36–61 ms at 10, time taken from the load itself on a small machine.
 */
export const GROWTH_STATISTICS_TARGET = 10

/**
 * ANALYZE for tables that changed by half since their last one — what autovacuum's
 * auto-analyze does, for servers that run with autovacuum off, with a smaller sample (see
 * GROWTH_STATISTICS_TARGET). Without statistics a directory that grew from nothing is
 * planned as if empty, and lookups that should probe an index scan the whole table
 * instead. One process at a time; the others skip.
 */
export async function analyzeChangedTables (db: Db): Promise<string[]> {
  const client = await db.connect()
  try {
    const { rows: [lock] } = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [ANALYZE_LOCK_KEY])
    if (lock.locked !== true) return []
    try {
      const { rows } = await client.query<{ relname: string }>(
        `SELECT relname FROM pg_stat_user_tables
         WHERE relname = ANY($1) AND schemaname = current_schema()
           AND n_mod_since_analyze > greatest(500, 0.5 * n_live_tup)`, [TABLES])
      // One query of two statements is one implicit transaction: the target holds for this
      // ANALYZE only, and a server's own auto-analyze or a DBA's ANALYZE keep theirs.
      for (const { relname } of rows) await client.query(`SET LOCAL default_statistics_target = ${GROWTH_STATISTICS_TARGET}; ANALYZE ${relname}`)
      return rows.map(row => row.relname)
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ANALYZE_LOCK_KEY])
    }
  } finally {
    client.release()
  }
}

/** Runs `analyzeChangedTables` at most once per `intervalMs`, never twice at once, never blocking the caller. */
export function throttledAnalyzer (db: Db, intervalMs: number, onError: (err: unknown) => void): () => void {
  let last = 0
  let running = false
  return () => {
    const now = Date.now()
    if (running || now - last < intervalMs) return
    last = now
    running = true
    analyzeChangedTables(db).catch(onError).finally(() => { running = false })
  }
}
