import pg from 'pg'

export type Db = pg.Pool
export type DbClient = pg.PoolClient

export function createPool (connectionString: string, max: number, applicationName = 'scim-inbound'): Db {
  const pool = new pg.Pool({ connectionString, max, application_name: applicationName })
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
