import type { Db, DbClient } from '../../db/pool.js'
import { distinguishedNameKey, userDistinguishedName } from './distinguished-name.js'
import { AD_COLUMN_ATTRIBUTES, adUserFromRow, storedAttributes, type AdUserRecord, type SourceRecord } from './user.js'

type Queryable = Db | DbClient

/** A place users can be: an OU, or the domain itself (ouId null). */
export interface Container {
  ouId: string | null
  distinguishedName: string
}

/**
 * The containers among the given DN keys (lower-cased canonical DNs): the domain's own and
 * those of existing OUs. A key that is neither is absent from the map.
 */
export async function loadContainers (db: Queryable, directoryId: string, domainDn: string, dnKeys: string[]): Promise<Map<string, Container>> {
  const containers = new Map<string, Container>([[distinguishedNameKey(domainDn), { ouId: null, distinguishedName: domainDn }]])
  const wanted = dnKeys.filter(key => !containers.has(key))
  if (wanted.length === 0) return containers
  const { rows } = await db.query('SELECT id, distinguished_name, dn_key FROM organizational_units WHERE directory_id = $1 AND dn_key = ANY($2::text[])', [directoryId, wanted])
  for (const row of rows) containers.set(row.dn_key, { ouId: row.id, distinguishedName: row.distinguished_name })
  return containers
}

export interface AdLookupKeys {
  employeeIds: string[]
  /** Lower-cased. */
  upns: string[]
  /** Lower-cased; every holder of a name starting so is loaded (numbered variants included). */
  samPrefixes: string[]
  /** Holders of a cn (lower-cased) in a container. */
  relativeNames: Array<{ ouId: string | null, cn: string }>
}

const SELECT_USER = `SELECT u.*, coalesce(o.distinguished_name, $2) AS parent_dn FROM ad_users u LEFT JOIN organizational_units o ON o.id = u.ou_id`

/**
 * Every user a batch can match, reference or collide with, one index probe per key
 * (OFFSET 0 keeps each lateral sub-query a probe, as in the entra repository).
 */
export async function loadAdUsers (db: Queryable, directoryId: string, domainDn: string, keys: AdLookupKeys): Promise<AdUserRecord[]> {
  const params: unknown[] = [directoryId, domainDn]
  const parts: string[] = []
  const lookup = (from: string, where: string, ...values: unknown[]): void => {
    const first = params.length + 1
    params.push(...values)
    parts.push(`SELECT found.* FROM ${from.replaceAll('$A', `$${first}`).replaceAll('$B', `$${first + 1}`)} CROSS JOIN LATERAL (
      ${SELECT_USER} WHERE u.directory_id = $1 AND ${where} OFFSET 0) found`)
  }
  if (keys.employeeIds.length > 0) lookup('unnest($A::text[]) AS k(value)', 'u.employee_id = k.value', keys.employeeIds)
  if (keys.upns.length > 0) lookup('unnest($A::text[]) AS k(value)', 'lower(u.user_principal_name) = k.value', keys.upns)
  if (keys.samPrefixes.length > 0) {
    lookup('unnest($A::text[]) AS k(value)', `lower(u.sam_account_name) LIKE replace(replace(replace(k.value, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`, keys.samPrefixes)
  }
  const inOus = keys.relativeNames.filter(name => name.ouId !== null)
  const atRoot = keys.relativeNames.filter(name => name.ouId === null)
  if (inOus.length > 0) lookup('unnest($A::uuid[], $B::text[]) AS k(ou, cn)', 'u.ou_id = k.ou AND lower(u.cn) = k.cn', inOus.map(name => name.ouId), inOus.map(name => name.cn))
  if (atRoot.length > 0) lookup('unnest($A::text[]) AS k(cn)', 'u.ou_id IS NULL AND lower(u.cn) = k.cn', atRoot.map(name => name.cn))
  if (parts.length === 0) return []
  const { rows } = await db.query(parts.join(' UNION ALL '), params)
  const users = new Map<string, AdUserRecord>()
  for (const row of rows) if (!users.has(row.id)) users.set(row.id, adUserFromRow(row))
  return [...users.values()]
}

/**
 * Frees the unique values (sAMAccountName, userPrincipalName, cn in its OU) of users that
 * give one up in this batch, before the batch write: unique indexes are checked row by row,
 * so a value moving between users would otherwise collide mid-statement. Inside the
 * batch's transaction; nobody sees it.
 */
export async function releaseAdUniqueValues (db: Queryable, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return
  await db.query('UPDATE ad_users SET sam_account_name = id::text, user_principal_name = NULL, cn = id::text WHERE id = ANY($1::uuid[])', [userIds])
}

/** Hard deletes, as AD does; the deleted users' reports lose their manager link but keep the reference. */
export async function deleteAdUsers (db: Queryable, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return
  await db.query('UPDATE ad_users SET manager_id = NULL, last_modified_at = now() WHERE manager_id = ANY($1::uuid[])', [userIds])
  await db.query('DELETE FROM ad_users WHERE id = ANY($1::uuid[])', [userIds])
}

const TEXT_COLUMNS: Array<[string, string]> = [
  ['id', 'uuid'], ['ou_id', 'uuid'], ['cn', 'text'], ['sam_account_name', 'text'], ['user_principal_name', 'text'], ['employee_id', 'text'],
  ['account_disabled', 'boolean'], ['attributes', 'jsonb'], ['manager_id', 'uuid'], ['manager_external_id', 'text'], ['created_by_job_id', 'text'],
  ['created_at', 'timestamptz'], ['last_modified_at', 'timestamptz'], ['source_job_id', 'text'], ['source_request_id', 'uuid'], ['source_operation_index', 'int']
]
const COLUMN_LIST = TEXT_COLUMNS.map(([name]) => name).join(', ')
const UPSERT_SQL = `INSERT INTO ad_users (directory_id, ${COLUMN_LIST})
  SELECT $1, ${COLUMN_LIST} FROM json_to_recordset($2::json) AS x(${TEXT_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${TEXT_COLUMNS.filter(([name]) => !['id', 'created_at', 'created_by_job_id'].includes(name)).map(([name]) => `${name} = EXCLUDED.${name}`).join(', ')}`

/** Writes the batch's created and changed users in one statement. */
export async function writeAdUsers (db: Queryable, directoryId: string, users: AdUserRecord[]): Promise<void> {
  if (users.length === 0) return
  const rows = users.map(user => {
    const row: Record<string, unknown> = {
      id: user.id,
      ou_id: user.ouId,
      attributes: storedAttributes(user),
      manager_id: user.managerId,
      manager_external_id: user.managerExternalId,
      created_by_job_id: user.createdByJobId,
      created_at: user.createdAt,
      last_modified_at: user.lastModifiedAt,
      source_job_id: user.source?.jobId ?? null,
      source_request_id: user.source?.requestId ?? null,
      source_operation_index: user.source?.operationIndex ?? null
    }
    for (const [attribute, column] of Object.entries(AD_COLUMN_ATTRIBUTES)) row[column] = user[attribute as keyof typeof AD_COLUMN_ATTRIBUTES]
    return row
  })
  await db.query(UPSERT_SQL, [directoryId, JSON.stringify(rows)])
}

/** Reports waiting for a manager that has now arrived are linked; returned for their log entries. */
export async function linkWaitingAdReports (db: Queryable, directoryId: string, arrivedIds: string[], exceptIds: string[]): Promise<Array<{ id: string, employeeId: string | null, displayName: string | null, managerId: string, managerExternalId: string }>> {
  if (arrivedIds.length === 0) return []
  const { rows } = await db.query(
    `WITH managers AS MATERIALIZED (
       SELECT m.id, m.employee_id FROM unnest($2::uuid[]) AS arrived(id) CROSS JOIN LATERAL (
         SELECT id, employee_id FROM ad_users WHERE id = arrived.id AND employee_id IS NOT NULL OFFSET 0) m),
     reports AS MATERIALIZED (
       SELECT waiting.id, managers.id AS manager_id FROM managers CROSS JOIN LATERAL (
         SELECT r.id FROM ad_users r
         WHERE r.directory_id = $1 AND r.manager_external_id = managers.employee_id AND r.manager_id IS NULL
           AND r.id <> managers.id AND NOT (r.id = ANY($3::uuid[]))
         OFFSET 0) waiting)
     UPDATE ad_users u SET manager_id = reports.manager_id, last_modified_at = now()
     FROM reports WHERE u.id = reports.id
     RETURNING u.id, u.employee_id, u.attributes ->> 'displayName' AS display_name, u.cn, u.manager_id, u.manager_external_id`,
    [directoryId, arrivedIds, exceptIds])
  return rows.map(row => ({ id: row.id, employeeId: row.employee_id, displayName: row.display_name ?? row.cn, managerId: row.manager_id, managerExternalId: row.manager_external_id }))
}

/** Where the last record is, for users a batch matched but did not change (see the entra twin). */
export async function recordAdSources (db: Queryable, users: Array<{ id: string, source: SourceRecord }>): Promise<void> {
  if (users.length === 0) return
  await db.query(
    `UPDATE ad_users u SET source_job_id = x.job_id, source_request_id = x.request_id, source_operation_index = x.operation_index
     FROM json_to_recordset($1::json) AS x(id uuid, job_id text, request_id uuid, operation_index int) WHERE u.id = x.id`,
    [JSON.stringify(users.map(user => ({ id: user.id, job_id: user.source.jobId, request_id: user.source.requestId, operation_index: user.source.operationIndex })))])
}

export interface AdUserQuery {
  employeeId?: string
  userPrincipalName?: string
  sAMAccountName?: string
  /** A user's place: its container (null: the domain) and cn. */
  relativeName?: { ouId: string | null, cn: string }
  top: number
  /** Keyset cursor: the last objectGUID of the previous page. */
  after?: string
}

/** A user as read back, with its manager's DN (null when it has none or it is not linked). */
export interface AdUserWithManager extends AdUserRecord {
  managerDistinguishedName: string | null
}

const READ_USER = `SELECT u.*, coalesce(o.distinguished_name, $2) AS parent_dn, m.cn AS manager_cn, coalesce(mo.distinguished_name, $2) AS manager_parent_dn
  FROM ad_users u LEFT JOIN organizational_units o ON o.id = u.ou_id
  LEFT JOIN ad_users m ON m.id = u.manager_id LEFT JOIN organizational_units mo ON mo.id = m.ou_id`

function withManager (row: any): AdUserWithManager {
  const user = adUserFromRow(row)
  return { ...user, managerDistinguishedName: row.manager_cn === null ? null : userDistinguishedName(row.manager_cn, row.manager_parent_dn) }
}

export async function listAdUsers (db: Queryable, directoryId: string, domainDn: string, query: AdUserQuery): Promise<AdUserWithManager[]> {
  const { rows } = await db.query(
    `${READ_USER} WHERE u.directory_id = $1
       AND ($3::text IS NULL OR u.employee_id = $3)
       AND ($4::text IS NULL OR lower(u.user_principal_name) = lower($4))
       AND ($5::text IS NULL OR lower(u.sam_account_name) = lower($5))
       AND (NOT $6::boolean OR (u.ou_id IS NOT DISTINCT FROM $7::uuid AND lower(u.cn) = lower($8)))
       AND ($9::uuid IS NULL OR u.id > $9)
     ORDER BY u.id LIMIT $10`,
    [directoryId, domainDn, query.employeeId ?? null, query.userPrincipalName ?? null, query.sAMAccountName ?? null,
      query.relativeName !== undefined, query.relativeName?.ouId ?? null, query.relativeName?.cn ?? null, query.after ?? null, query.top])
  return rows.map(withManager)
}

export async function getAdUser (db: Queryable, directoryId: string, domainDn: string, userId: string): Promise<AdUserWithManager | undefined> {
  const { rows: [row] } = await db.query(`${READ_USER} WHERE u.directory_id = $1 AND u.id = $3`, [directoryId, domainDn, userId])
  return row === undefined ? undefined : withManager(row)
}
