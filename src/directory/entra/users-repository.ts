import type { Db, DbClient } from '../../db/pool.js'
import { ENTRA_ATTRIBUTE_COLUMNS, ENTRA_ATTRIBUTES, userFromRow, type EntraUserRecord } from './user.js'

type Queryable = Db | DbClient

/**
 * Loads every user a request can match, reference or collide with, in one query: by
 * employeeId (its operations and the managers they name), the managers the matched users
 * already name (a restored report relinks), and, among live users, the holders of the
 * userPrincipalName and mailNickname values the request may use — those it sends and
 * those the matched users keep (a restore keeps its stored values).
 */
export async function loadUsersForRequest (db: Queryable, directoryId: string, employeeIds: string[], upns: string[], nicknames: string[]): Promise<EntraUserRecord[]> {
  // Three index lookups joined by UNION; a single WHERE with ORs over sub-selects would
  // make PostgreSQL scan the whole directory.
  const { rows } = await db.query(
    `WITH matched AS MATERIALIZED (
       -- Only a soft-deleted user can hold a value someone else holds now (a restore keeps it).
       SELECT CASE WHEN deleted_at IS NOT NULL THEN lower(user_principal_name) END AS upn,
              CASE WHEN deleted_at IS NOT NULL THEN lower(mail_nickname) END AS nickname, manager_external_id
       FROM directory_users WHERE directory_id = $1 AND employee_id = ANY($2::text[])),
     ids AS (
       SELECT id FROM directory_users WHERE directory_id = $1
         AND employee_id = ANY($2::text[] || ARRAY(SELECT manager_external_id FROM matched WHERE manager_external_id IS NOT NULL))
       UNION
       SELECT id FROM directory_users WHERE directory_id = $1 AND deleted_at IS NULL
         AND lower(user_principal_name) = ANY($3::text[] || ARRAY(SELECT upn FROM matched WHERE upn IS NOT NULL))
       UNION
       SELECT id FROM directory_users WHERE directory_id = $1 AND deleted_at IS NULL
         AND lower(mail_nickname) = ANY($4::text[] || ARRAY(SELECT nickname FROM matched WHERE nickname IS NOT NULL)))
     SELECT * FROM directory_users WHERE id = ANY(ARRAY(SELECT id FROM ids))`,
    [directoryId, employeeIds, upns, nicknames])
  return rows.map(userFromRow)
}

/**
 * Frees the unique values (userPrincipalName, mailNickname) of users that give them up in
 * this request, before the batch write: PostgreSQL checks unique indexes row by row, so a
 * value moving from one user to another would otherwise collide mid-statement even though
 * the request's end state is unique. Runs inside the request's transaction; nobody sees it.
 */
export async function releaseUniqueValues (db: Queryable, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return
  await db.query('UPDATE directory_users SET user_principal_name = NULL, mail_nickname = NULL WHERE id = ANY($1::uuid[])', [userIds])
}

const WRITE_COLUMNS: Array<[string, string]> = [
  ['id', 'uuid'],
  ...ENTRA_ATTRIBUTES.map((attribute): [string, string] => [ENTRA_ATTRIBUTE_COLUMNS[attribute],
    attribute === 'accountEnabled' ? 'boolean' : attribute === 'businessPhones' ? 'text[]' : 'text']),
  ['manager_id', 'uuid'],
  ['manager_external_id', 'text'],
  ['created_by_job_id', 'text'],
  ['created_at', 'timestamptz'],
  ['last_modified_at', 'timestamptz'],
  ['deleted_at', 'timestamptz']
]
const COLUMN_LIST = WRITE_COLUMNS.map(([name]) => name).join(', ')
const RECORD_TYPE = WRITE_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')
const UPDATE_SET = WRITE_COLUMNS.filter(([name]) => name !== 'id' && name !== 'created_at' && name !== 'created_by_job_id')
  .map(([name]) => `${name} = EXCLUDED.${name}`).join(', ')

// One statement for the whole batch; the rows travel as a single JSON parameter, which is
// the cheapest way to hand PostgreSQL hundreds of rows from Node.
const UPSERT_SQL = `INSERT INTO directory_users (directory_id, ${COLUMN_LIST})
  SELECT $1, ${COLUMN_LIST} FROM jsonb_to_recordset($2::jsonb) AS x(${RECORD_TYPE})
  ON CONFLICT (id) DO UPDATE SET ${UPDATE_SET}`

export async function writeUsers (db: Queryable, directoryId: string, users: EntraUserRecord[]): Promise<void> {
  if (users.length === 0) return
  const rows = users.map(user => {
    const row: Record<string, unknown> = {
      id: user.id,
      manager_id: user.managerId,
      manager_external_id: user.managerExternalId,
      created_by_job_id: user.createdByJobId,
      created_at: user.createdAt,
      last_modified_at: user.lastModifiedAt,
      deleted_at: user.deletedAt
    }
    for (const attribute of ENTRA_ATTRIBUTES) row[ENTRA_ATTRIBUTE_COLUMNS[attribute]] = user[attribute]
    return row
  })
  await db.query(UPSERT_SQL, [directoryId, JSON.stringify(rows)])
}

/**
 * Links users who were waiting for a manager that has now arrived (in this request or any
 * later one). Returns the reports linked, for their reference-resolution log entries.
 */
export async function linkWaitingReports (db: Queryable, directoryId: string, arrivedIds: string[], exceptIds: string[]): Promise<Array<{ id: string, employeeId: string | null, displayName: string | null, managerId: string, managerExternalId: string }>> {
  if (arrivedIds.length === 0) return []
  const { rows } = await db.query(
    `UPDATE directory_users r SET manager_id = m.id, last_modified_at = now()
     FROM directory_users m
     WHERE m.id = ANY($2::uuid[]) AND m.deleted_at IS NULL AND r.directory_id = $1 AND r.manager_external_id = m.employee_id
       AND r.manager_id IS NULL AND r.deleted_at IS NULL AND r.id <> m.id AND NOT (r.id = ANY($3::uuid[]))
     RETURNING r.id, r.employee_id, r.display_name, m.id AS manager_id, r.manager_external_id`,
    [directoryId, arrivedIds, exceptIds])
  return rows.map(row => ({ id: row.id, employeeId: row.employee_id, displayName: row.display_name, managerId: row.manager_id, managerExternalId: row.manager_external_id }))
}

/** A deleted manager no longer manages anyone; the source reference stays so a restore relinks. */
export async function unlinkReportsOf (db: Queryable, deletedIds: string[]): Promise<void> {
  if (deletedIds.length === 0) return
  await db.query('UPDATE directory_users SET manager_id = NULL, last_modified_at = now() WHERE manager_id = ANY($1::uuid[])', [deletedIds])
}

export interface UserQuery {
  employeeId?: string
  userPrincipalName?: string
  top: number
  /** Keyset cursor: the last id of the previous page. */
  after?: string
}

export async function listUsers (db: Queryable, directoryId: string, query: UserQuery): Promise<EntraUserRecord[]> {
  const { rows } = await db.query(
    `SELECT * FROM directory_users WHERE directory_id = $1
       AND ($2::text IS NULL OR employee_id = $2)
       AND ($3::text IS NULL OR lower(user_principal_name) = lower($3))
       AND ($4::uuid IS NULL OR id > $4)
     ORDER BY id LIMIT $5`,
    [directoryId, query.employeeId ?? null, query.userPrincipalName ?? null, query.after ?? null, query.top])
  return rows.map(userFromRow)
}

export async function getUser (db: Queryable, directoryId: string, userId: string): Promise<EntraUserRecord | undefined> {
  const { rows: [row] } = await db.query('SELECT * FROM directory_users WHERE directory_id = $1 AND id = $2', [directoryId, userId])
  return row === undefined ? undefined : userFromRow(row)
}
