import { v7 as timeOrderedUuid } from 'uuid'
import type { Db, DbClient } from '../../db/pool.js'
import type { Directory } from '../repository.js'
import { distinguishedNameKey, domainDistinguishedName, formatDistinguishedName, parseDistinguishedName } from './distinguished-name.js'

type Queryable = Db | DbClient

const FOREIGN_KEY_VIOLATION = '23503'

export interface OrganizationalUnit {
  id: string
  directoryId: string
  /** Null: directly under the domain. */
  parentId: string | null
  /** The OU= value, unescaped. */
  name: string
  /** Canonical RFC 4514. */
  distinguishedName: string
  createdAt: Date
}

/** What a DN names in an ad directory. */
export type ContainerLocation =
  | { kind: 'domainRoot', distinguishedName: string }
  | { kind: 'organizationalUnit', organizationalUnit: OrganizationalUnit }
  /** `firstMissing`: the DN itself or the ancestor nearest the domain that does not exist, the one to create first. */
  | { kind: 'missing', firstMissing: string }
  /** `domainDistinguishedName` null: the directory has no domain. */
  | { kind: 'outsideDomain', domainDistinguishedName: string | null }

function toOrganizationalUnit (row: any): OrganizationalUnit {
  return { id: row.id, directoryId: row.directory_id, parentId: row.parent_id, name: row.name, distinguishedName: row.distinguished_name, createdAt: row.created_at }
}

/** The DN of an ad directory's domain (`DC=contoso,DC=com`); undefined when it has no domain. */
export function directoryDomainDn (directory: Pick<Directory, 'domains'>): string | undefined {
  const domain = directory.domains[0]
  return domain === undefined ? undefined : domainDistinguishedName(domain)
}

/**
 * Creates the OU under `parentId` (null: the domain); 'exists' when the directory has one
 * with this DN already (compared case-insensitively), 'parentMissing' when the parent was
 * deleted since the caller found it.
 */
export async function createOrganizationalUnit (db: Queryable, input: { directoryId: string, parentId: string | null, distinguishedName: string }): Promise<OrganizationalUnit | 'exists' | 'parentMissing'> {
  const rdns = parseDistinguishedName(input.distinguishedName)
  try {
    const { rows: [row] } = await db.query(
      `INSERT INTO organizational_units (id, directory_id, parent_id, name, distinguished_name, dn_key) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (directory_id, dn_key) DO NOTHING RETURNING *`,
      [timeOrderedUuid(), input.directoryId, input.parentId, rdns[0].value, formatDistinguishedName(rdns), distinguishedNameKey(rdns)])
    return row === undefined ? 'exists' : toOrganizationalUnit(row)
  } catch (err) {
    if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) return 'parentMissing'
    throw err
  }
}

/** One page in creation order: ids are time-ordered, so `after` (the last id of the previous page) is a keyset position. */
export async function listOrganizationalUnits (db: Queryable, directoryId: string, page: { top: number, after?: string }): Promise<OrganizationalUnit[]> {
  const { rows } = await db.query(
    'SELECT * FROM organizational_units WHERE directory_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3',
    [directoryId, page.after ?? null, page.top])
  return rows.map(toOrganizationalUnit)
}

export async function getOrganizationalUnit (db: Queryable, directoryId: string, id: string): Promise<OrganizationalUnit | undefined> {
  const { rows: [row] } = await db.query('SELECT * FROM organizational_units WHERE directory_id = $1 AND id = $2', [directoryId, id])
  return row === undefined ? undefined : toOrganizationalUnit(row)
}

/** The OU with this DN (any spelling of it); throws DistinguishedNameError when `dn` does not parse. */
export async function findOrganizationalUnitByDn (db: Queryable, directoryId: string, dn: string): Promise<OrganizationalUnit | undefined> {
  const { rows: [row] } = await db.query('SELECT * FROM organizational_units WHERE directory_id = $1 AND dn_key = $2', [directoryId, distinguishedNameKey(dn)])
  return row === undefined ? undefined : toOrganizationalUnit(row)
}

/**
 * Whether `dn` is the directory's domain, one of its OUs, or missing (and then which
 * container to create first), with one query for the whole chain of ancestors. Throws
 * DistinguishedNameError when `dn` does not parse.
 */
export async function locateContainer (db: Queryable, directory: Pick<Directory, 'id' | 'domains'>, dn: string): Promise<ContainerLocation> {
  const domainDn = directoryDomainDn(directory)
  if (domainDn === undefined) return { kind: 'outsideDomain', domainDistinguishedName: null }
  const rdns = parseDistinguishedName(dn)
  const domainRdns = parseDistinguishedName(domainDn)
  const below = rdns.length - domainRdns.length
  if (below < 0 || distinguishedNameKey(rdns.slice(below)) !== distinguishedNameKey(domainRdns)) return { kind: 'outsideDomain', domainDistinguishedName: domainDn }
  if (below === 0) return { kind: 'domainRoot', distinguishedName: domainDn }
  // From the domain's child down to the DN itself.
  const chain = Array.from({ length: below }, (_, i) => rdns.slice(below - 1 - i))
  const keys = chain.map(ancestor => distinguishedNameKey(ancestor))
  const { rows } = await db.query('SELECT * FROM organizational_units WHERE directory_id = $1 AND dn_key = ANY($2)', [directory.id, keys])
  const byKey = new Map(rows.map(row => [row.dn_key as string, toOrganizationalUnit(row)]))
  const missing = keys.findIndex(key => !byKey.has(key))
  if (missing < 0) return { kind: 'organizationalUnit', organizationalUnit: byKey.get(keys[keys.length - 1])! }
  // Named under its parent's stored spelling, as it would be created.
  const parentDn = missing === 0 ? domainDn : byKey.get(keys[missing - 1])!.distinguishedName
  return { kind: 'missing', firstMissing: formatDistinguishedName([chain[missing][0], ...parseDistinguishedName(parentDn)]) }
}

/** What an OU still holds. */
export interface OrganizationalUnitContents { organizationalUnits: number, users: number }

async function contentsOf (db: Queryable, directoryId: string, id: string): Promise<OrganizationalUnitContents | undefined> {
  const { rows: [row] } = await db.query(
    `SELECT (SELECT count(*) FROM organizational_units child WHERE child.parent_id = ou.id)::int AS organizational_units,
            (SELECT count(*) FROM ad_users u WHERE u.ou_id = ou.id)::int AS users
       FROM organizational_units ou WHERE ou.directory_id = $1 AND ou.id = $2`, [directoryId, id])
  return row === undefined ? undefined : { organizationalUnits: row.organizational_units, users: row.users }
}

/** Deletes an empty OU; otherwise says what it still holds. */
export async function deleteOrganizationalUnit (db: Queryable, directoryId: string, id: string): Promise<'deleted' | 'notFound' | OrganizationalUnitContents> {
  const contents = await contentsOf(db, directoryId, id)
  if (contents === undefined) return 'notFound'
  if (contents.organizationalUnits > 0 || contents.users > 0) return contents
  try {
    const { rowCount } = await db.query('DELETE FROM organizational_units WHERE directory_id = $1 AND id = $2', [directoryId, id])
    return rowCount === 0 ? 'notFound' : 'deleted'
  } catch (err) {
    // Something was placed in it since it was counted; the foreign keys refused the delete.
    if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) return await contentsOf(db, directoryId, id) ?? 'notFound'
    throw err
  }
}
