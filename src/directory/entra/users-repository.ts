import { copyPlain, copyText, copyTextArray, joinRows, NULL_FIELD, ROW_END, startCopyRows, type CopyInProgress } from '../../db/copy-rows.js'
import type { Db, DbClient } from '../../db/pool.js'
import { ENTRA_ATTRIBUTE_COLUMNS, ENTRA_ATTRIBUTES, userFromRow, type EntraUserRecord, type SourceRecord } from './user.js'

type Queryable = Db | DbClient

/**
 * Loads every user a request can match, reference or collide with: by employeeId (its
 * operations and the managers they name), the managers the matched users already name (a
 * restored report relinks), and, among live users, the holders of the userPrincipalName
 * and mailNickname values the request may use — those it sends and those a soft-deleted
 * matched user would take back on restore.
 */
export async function loadUsersForRequest (db: Queryable, directoryId: string, employeeIds: string[], upns: string[], nicknames: string[]): Promise<EntraUserRecord[]> {
  const users = new Map<string, EntraUserRecord>()
  for (const user of await selectUsers(db, directoryId, employeeIds, [], [])) users.set(user.id, user)
  const known = new Set(employeeIds)
  const moreEmployeeIds = new Set<string>()
  const moreUpns = new Set(upns)
  const moreNicknames = new Set(nicknames)
  for (const user of users.values()) {
    if (user.managerExternalId !== null && !known.has(user.managerExternalId)) moreEmployeeIds.add(user.managerExternalId)
    if (user.deletedAt === null) continue
    if (user.userPrincipalName !== null) moreUpns.add(user.userPrincipalName.toLowerCase())
    if (user.mailNickname !== null) moreNicknames.add(user.mailNickname.toLowerCase())
  }
  for (const user of await selectUsers(db, directoryId, [...moreEmployeeIds], [...moreUpns], [...moreNicknames])) {
    if (!users.has(user.id)) users.set(user.id, user)
  }
  return [...users.values()]
}

/**
 * One index probe per key: each key list is unnested and joined laterally (OFFSET 0 keeps
 * the sub-query a per-key probe). Written as `column = ANY(array)`, PostgreSQL estimates a
 * thousand-key lookup as a large share of the table and scans all of it, comparing every
 * row with every key — a cost that grows with the directory.
 */
async function selectUsers (db: Queryable, directoryId: string, employeeIds: string[], upns: string[], nicknames: string[]): Promise<EntraUserRecord[]> {
  const params: unknown[] = [directoryId]
  const parts: string[] = []
  const lookup = (values: string[], where: string): void => {
    if (values.length === 0) return
    params.push(values)
    parts.push(`SELECT u.* FROM unnest($${params.length}::text[]) AS k(value) CROSS JOIN LATERAL (
      SELECT * FROM directory_users WHERE directory_id = $1 AND ${where} OFFSET 0) u`)
  }
  lookup(employeeIds, 'employee_id = k.value')
  lookup(upns, 'deleted_at IS NULL AND lower(user_principal_name) = k.value')
  lookup(nicknames, 'deleted_at IS NULL AND lower(mail_nickname) = k.value')
  if (parts.length === 0) return []
  const { rows } = await db.query(parts.join(' UNION ALL '), params)
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
  ['deleted_at', 'timestamptz'],
  ['source_job_id', 'text'],
  ['source_request_id', 'uuid'],
  ['source_operation_index', 'int']
]
const COLUMN_LIST = WRITE_COLUMNS.map(([name]) => name).join(', ')
const RECORD_TYPE = WRITE_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')
const UPDATE_SET = WRITE_COLUMNS.filter(([name]) => name !== 'id' && name !== 'created_at' && name !== 'created_by_job_id')
  .map(([name]) => `${name} = EXCLUDED.${name}`).join(', ')

// One statement for the whole batch; the rows travel as a single JSON parameter, which is
// the cheapest way to hand PostgreSQL hundreds of rows from Node.
const UPSERT_SQL = `INSERT INTO directory_users (directory_id, ${COLUMN_LIST})
  SELECT $1, ${COLUMN_LIST} FROM json_to_recordset($2::json) AS x(${RECORD_TYPE})
  ON CONFLICT (id) DO UPDATE SET ${UPDATE_SET}`

/**
 * Starts writing users new to the directory with COPY: no conflict to resolve, so nothing
 * to parse but the rows themselves. Users already stored go through `writeUsers`.
 */
export function insertNewUsers (client: DbClient, directoryId: string, users: EntraUserRecord[]): CopyInProgress {
  // A batch stamps its users with one time: formatted once.
  const times = new Map<Date, string>()
  const time = (at: Date | null): string => {
    if (at === null) return NULL_FIELD
    let text = times.get(at)
    if (text === undefined) times.set(at, text = at.toISOString())
    return text
  }
  const rows: Buffer[] = []
  for (const user of users) {
    let row = `${directoryId}\t${user.id}`
    for (const attribute of ENTRA_ATTRIBUTES) {
      const value = user[attribute]
      row += '\t' + (typeof value === 'boolean' ? (value ? 't' : 'f') : Array.isArray(value) ? copyTextArray(value) : copyText(value))
    }
    rows.push(Buffer.from(`${row}\t${copyPlain(user.managerId)}\t${copyText(user.managerExternalId)}\t${copyText(user.createdByJobId)}\t` +
      `${time(user.createdAt)}\t${time(user.lastModifiedAt)}\t${time(user.deletedAt)}\t` +
      `${copyText(user.source?.jobId)}\t${copyPlain(user.source?.requestId)}\t${copyPlain(user.source?.operationIndex)}`, 'utf8'))
  }
  return startCopyRows(client, 'directory_users', COPY_COLUMNS, joinRows(rows, ROW_END))
}

const COPY_COLUMNS = ['directory_id', ...WRITE_COLUMNS.map(([name]) => name)]

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
      deleted_at: user.deletedAt,
      source_job_id: user.source?.jobId ?? null,
      source_request_id: user.source?.requestId ?? null,
      source_operation_index: user.source?.operationIndex ?? null
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
  // Per arrived manager, one probe of the waiting-reports index (directory, manager's
  // externalId). OFFSET 0 keeps the lateral sub-query a per-manager probe: flattened into a
  // join, PostgreSQL would hash the whole directory for every request.
  const { rows } = await db.query(
    `WITH managers AS MATERIALIZED (
       SELECT m.id, m.employee_id FROM unnest($2::uuid[]) AS arrived(id) CROSS JOIN LATERAL (
         SELECT id, employee_id FROM directory_users
         WHERE id = arrived.id AND deleted_at IS NULL AND employee_id IS NOT NULL OFFSET 0) m),
     reports AS MATERIALIZED (
       SELECT waiting.id, managers.id AS manager_id FROM managers CROSS JOIN LATERAL (
         SELECT r.id FROM directory_users r
         WHERE r.directory_id = $1 AND r.manager_external_id = managers.employee_id AND r.manager_id IS NULL
           AND r.deleted_at IS NULL AND r.id <> managers.id AND NOT (r.id = ANY($3::uuid[]))
         OFFSET 0) waiting)
     UPDATE directory_users u SET manager_id = reports.manager_id, last_modified_at = now()
     FROM reports WHERE u.id = reports.id
     RETURNING u.id, u.employee_id, u.display_name, u.manager_id, u.manager_external_id`,
    [directoryId, arrivedIds, exceptIds])
  return rows.map(row => ({ id: row.id, employeeId: row.employee_id, displayName: row.display_name, managerId: row.manager_id, managerExternalId: row.manager_external_id }))
}

/**
 * Records the source record of users the batch matched but did not change (a record sent
 * again as it was): a later full restart must map the latest record, which may carry
 * attributes no mapping read yet.
 */
export async function recordSources (db: Queryable, users: Array<{ id: string, source: SourceRecord }>): Promise<void> {
  if (users.length === 0) return
  await db.query(
    `UPDATE directory_users u SET source_job_id = x.job_id, source_request_id = x.request_id, source_operation_index = x.operation_index
     FROM json_to_recordset($1::json) AS x(id uuid, job_id text, request_id uuid, operation_index int) WHERE u.id = x.id`,
    [JSON.stringify(users.map(user => ({ id: user.id, job_id: user.source.jobId, request_id: user.source.requestId, operation_index: user.source.operationIndex })))])
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
