import type { Db, DbClient } from '../../db/pool.js'
import { inReadSnapshot } from '../../db/read-snapshot.js'
import type { Directory } from '../repository.js'
import { domainDistinguishedName, userDistinguishedName } from './distinguished-name.js'
import type { LdifEntry } from './ldif.js'
import { objectGuidBytes } from './object-guid.js'
import { AD_TEXT_ATTRIBUTES, userAccountControl } from './user.js'

/** Rows read per query: whatever the directory's size, at most this many are held at once. */
export const EXPORT_PAGE_SIZE = 500

/*
 * The export reads page after page while the client downloads; if the client stops reading,
 * the transaction sits idle. Past this, PostgreSQL ends the session, the next page fails and
 * the response is cut off, instead of a stalled download holding a connection for ever.
 */
export const EXPORT_IDLE_TIMEOUT_MS = 5 * 60 * 1000

export interface ExportOptions {
  pageSize?: number
  idleTimeoutMs?: number
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000'

/**
 * The entries of an ad directory in an order an LDAP server can add them: the domain, its
 * organizational units parents before children, then the users. Every page is read in one
 * REPEATABLE READ transaction, so the file is one consistent snapshot: no user lands in an OU
 * created after the OUs were written, and a manager's DN is the one it has in the same file.
 */
export async function * adDirectoryEntries (db: Db, directory: Directory, options: ExportOptions = {}): AsyncGenerator<LdifEntry> {
  const { pageSize = EXPORT_PAGE_SIZE, idleTimeoutMs = EXPORT_IDLE_TIMEOUT_MS } = options
  yield * inReadSnapshot(db, idleTimeoutMs, async function * (client) {
    const domainDn = domainDistinguishedName(directory.domains[0])
    yield domainEntry(domainDn, directory.domains[0])
    yield * organizationalUnitEntries(client, directory.id, pageSize)
    yield * userEntries(client, directory.id, domainDn, pageSize)
  })
}

function domainEntry (domainDn: string, domain: string): LdifEntry {
  return {
    dn: domainDn,
    attributes: [['objectClass', ['top', 'domain']], ['dc', domain.toLowerCase().split('.')[0]]]
  }
}

/** OUs by depth below the domain, then id: a parent always comes before its children. */
async function * organizationalUnitEntries (client: DbClient, directoryId: string, pageSize: number): AsyncGenerator<LdifEntry> {
  let after = { depth: 0, id: NIL_UUID }
  for (;;) {
    const { rows } = await client.query<{ id: string, name: string, distinguished_name: string, depth: number }>(`
      WITH RECURSIVE tree AS (
        SELECT id, name, distinguished_name, 1 AS depth FROM organizational_units
         WHERE directory_id = $1 AND parent_id IS NULL
        UNION ALL
        SELECT ou.id, ou.name, ou.distinguished_name, tree.depth + 1 FROM organizational_units ou
          JOIN tree ON ou.parent_id = tree.id
         WHERE ou.directory_id = $1
      )
      SELECT id, name, distinguished_name, depth FROM tree
       WHERE (depth, id) > ($2::int, $3::uuid)
       ORDER BY depth, id
       LIMIT $4`, [directoryId, after.depth, after.id, pageSize])
    for (const row of rows) {
      yield { dn: row.distinguished_name, attributes: [['objectClass', ['top', 'organizationalUnit']], ['ou', row.name]] }
    }
    if (rows.length < pageSize) return
    const last = rows[rows.length - 1]
    after = { depth: last.depth, id: last.id }
  }
}

interface UserRow {
  id: string
  cn: string
  sam_account_name: string
  user_principal_name: string | null
  employee_id: string | null
  account_disabled: boolean
  attributes: Record<string, unknown>
  account_expires: string | null
  parent_dn: string | null
  manager_cn: string | null
  manager_parent_dn: string | null
}

async function * userEntries (client: DbClient, directoryId: string, domainDn: string, pageSize: number): AsyncGenerator<LdifEntry> {
  let after = NIL_UUID
  for (;;) {
    // The page is chosen first and only its rows joined: however the planner reads the
    // directory, no page costs joins over the rows after it.
    // accountExpires is read as text: a file time (~1.3e17) is past the integers a JSON number keeps exactly.
    // A manager that no longer exists (manager_id has no foreign key) joins as null and is left out.
    const { rows } = await client.query<UserRow>(`
      SELECT u.id, u.cn, u.sam_account_name, u.user_principal_name, u.employee_id, u.account_disabled, u.attributes,
             u.attributes->>'accountExpires' AS account_expires,
             ou.distinguished_name AS parent_dn, m.cn AS manager_cn, mou.distinguished_name AS manager_parent_dn
        FROM (SELECT * FROM ad_users WHERE directory_id = $1 AND id > $2 ORDER BY id LIMIT $3) u
        LEFT JOIN organizational_units ou ON ou.id = u.ou_id
        LEFT JOIN ad_users m ON m.id = u.manager_id AND m.directory_id = u.directory_id
        LEFT JOIN organizational_units mou ON mou.id = m.ou_id
       ORDER BY u.id`, [directoryId, after, pageSize])
    for (const row of rows) yield userEntry(row, domainDn)
    if (rows.length < pageSize) return
    after = rows[rows.length - 1].id
  }
}

function userEntry (row: UserRow, domainDn: string): LdifEntry {
  const attributes: LdifEntry['attributes'] = [
    ['objectClass', ['top', 'person', 'organizationalPerson', 'user']],
    ['cn', row.cn],
    ['sAMAccountName', row.sam_account_name],
    ['userPrincipalName', nonEmpty(row.user_principal_name)],
    ['employeeID', nonEmpty(row.employee_id)],
    ['userAccountControl', String(userAccountControl(row.account_disabled))],
    ['objectGUID', objectGuidBytes(row.id)]
  ]
  for (const name of AD_TEXT_ATTRIBUTES) attributes.push([name, textValues(row.attributes[name])])
  attributes.push(['accountExpires', nonEmpty(row.account_expires)])
  if (row.manager_cn !== null) attributes.push(['manager', userDistinguishedName(row.manager_cn, row.manager_parent_dn ?? domainDn)])
  return { dn: userDistinguishedName(row.cn, row.parent_dn ?? domainDn), attributes }
}

const nonEmpty = (value: string | null): string[] => value === null || value === '' ? [] : [value]

/** A stored attribute as LDAP values: text as is, a number in decimal; empty, null and anything else are not written (LDAP has no empty value). */
function textValues (value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(textValues)
  if (typeof value === 'string') return value === '' ? [] : [value]
  if (typeof value === 'number' && Number.isFinite(value)) return [String(value)]
  return []
}
