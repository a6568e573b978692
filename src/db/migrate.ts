import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Db } from './pool.js'
import { MIGRATIONS_DIR } from '../paths.js'

// Any constant works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK_KEY = 727_274_001

/**
 * Applies the plain-SQL files of `migrations/` in name order, each in its own transaction,
 * under a session advisory lock so that several processes starting at once migrate once.
 * Returns the names applied by this call.
 */
export async function migrate (db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const client = await db.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
    const { rows } = await client.query<{ name: string }>('SELECT name FROM schema_migrations')
    const done = new Set(rows.map(row => row.name))
    const files = (await readdir(dir)).filter(file => file.endsWith('.sql')).sort()
    const applied: string[] = []
    for (const file of files) {
      if (done.has(file)) continue
      const sql = await readFile(path.join(dir, file), 'utf8')
      try {
        await client.query('BEGIN')
        await client.query(sql)
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw new Error(`migration ${file} failed: ${(err as Error).message}`)
      }
      applied.push(file)
    }
    return applied
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {})
    client.release()
  }
}
