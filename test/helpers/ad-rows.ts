import { randomUUID } from 'node:crypto'
import type { Db } from '../../src/db/pool.js'
import { distinguishedNameKey, domainDistinguishedName, formatDistinguishedName, parseDistinguishedName } from '../../src/directory/ad/distinguished-name.js'

/**
 * Rows of an ad directory written straight with SQL, as the provisioning pipeline and the
 * organizational-unit routes would leave them, for tests of what reads them.
 */
export async function insertAdDirectory (db: Db, domain = 'contoso.com', defaultOu: string | null = null): Promise<string> {
  const id = randomUUID()
  await db.query("INSERT INTO directories (id, display_name, kind, domains, default_ou) VALUES ($1, 'Contoso AD', 'ad', $2, $3)", [id, [domain], defaultOu])
  return id
}

export interface OuRow { id: string, dn: string }

/** An OU `name` under `parent` (or the domain); its DN and key as the service writes them. */
export async function insertOu (db: Db, directoryId: string, domain: string, name: string, parent: OuRow | null, id: string = randomUUID()): Promise<OuRow> {
  const parentDn = parent?.dn ?? domainDistinguishedName(domain)
  const dn = formatDistinguishedName([{ type: 'OU', value: name }, ...parseDistinguishedName(parentDn)])
  await db.query(
    'INSERT INTO organizational_units (id, directory_id, parent_id, name, distinguished_name, dn_key) VALUES ($1, $2, $3, $4, $5, $6)',
    [id, directoryId, parent?.id ?? null, name, dn, distinguishedNameKey(dn)])
  return { id, dn }
}

export interface AdUserInput {
  id?: string
  ou?: OuRow | null
  cn: string
  samAccountName: string
  userPrincipalName?: string | null
  employeeId?: string | null
  accountDisabled?: boolean
  attributes?: Record<string, unknown>
  managerId?: string | null
  managerExternalId?: string | null
}

export async function insertAdUser (db: Db, directoryId: string, user: AdUserInput): Promise<string> {
  const id = user.id ?? randomUUID()
  await db.query(
    `INSERT INTO ad_users (id, directory_id, ou_id, cn, sam_account_name, user_principal_name, employee_id, account_disabled, attributes, manager_id, manager_external_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [id, directoryId, user.ou?.id ?? null, user.cn, user.samAccountName, user.userPrincipalName ?? null, user.employeeId ?? null,
      user.accountDisabled ?? false, JSON.stringify(user.attributes ?? {}), user.managerId ?? null, user.managerExternalId ?? null])
  return id
}
