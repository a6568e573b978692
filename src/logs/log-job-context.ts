import type { Db, DbClient } from '../db/pool.js'

/** What a log entry names besides itself: its job's app and the directory the job writes. */
export interface LogJobContext {
  servicePrincipalId: string
  servicePrincipalName: string
  directoryId: string
  directoryName: string
}

/**
 * The contexts of the jobs of one page, in one query by primary key. A job deleted with its
 * app leaves its entries behind (the log outlives them) and is absent from the map.
 */
export async function logJobContexts (db: Db | DbClient, jobIds: Iterable<string>): Promise<Map<string, LogJobContext>> {
  const ids = [...new Set(jobIds)]
  if (ids.length === 0) return new Map()
  const { rows } = await db.query(
    `SELECT j.id, sp.id AS sp_id, sp.display_name AS sp_name, d.id AS directory_id, d.display_name AS directory_name
     FROM sync_jobs j JOIN service_principals sp ON sp.id = j.service_principal_id JOIN directories d ON d.id = j.directory_id
     WHERE j.id = ANY($1::text[])`, [ids])
  return new Map(rows.map(row => [row.id as string, {
    servicePrincipalId: row.sp_id,
    servicePrincipalName: row.sp_name,
    directoryId: row.directory_id,
    directoryName: row.directory_name
  }]))
}
