import pg from 'pg'

export type Db = pg.Pool
export type DbClient = pg.PoolClient

export function createPool (connectionString: string, max: number, applicationName = 'scim-inbound'): Db {
  // JIT compilation pays off for long analytical queries; ours are short batches, and a
  // cost estimate above jit_above_cost (easy with thousand-key lookups) would spend tens
  // of milliseconds compiling a statement that runs in two.
  const pool = new pg.Pool({ connectionString, max, application_name: applicationName, options: '-c jit=off' })
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  return pool
}

/** Runs `work` in one transaction on one client; rolls back on any error. */
export async function withTransaction<T> (db: Db, work: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect()
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}
