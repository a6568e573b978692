/**
 * The Active Directory–shaped user: attributes by their LDAP names. A few live in columns
 * (those that are unique or looked up); the rest in one JSON object. `manager` (a DN) and
 * `distinguishedName` are derived when read; `parentDistinguishedName` is where a mapping
 * places the user (the OU), not a stored attribute of its own.
 */
export const AD_COLUMN_ATTRIBUTES = {
  cn: 'cn',
  sAMAccountName: 'sam_account_name',
  userPrincipalName: 'user_principal_name',
  employeeID: 'employee_id',
  accountDisabled: 'account_disabled'
} as const

/** Plain text attributes kept in the `attributes` object. */
export const AD_TEXT_ATTRIBUTES = [
  'displayName', 'givenName', 'sn', 'initials', 'title', 'department', 'division', 'company', 'employeeType',
  'mail', 'streetAddress', 'l', 'st', 'postalCode', 'co', 'c', 'physicalDeliveryOfficeName',
  'telephoneNumber', 'mobile', 'description',
  'extensionAttribute1', 'extensionAttribute2', 'extensionAttribute3', 'extensionAttribute4', 'extensionAttribute5',
  'extensionAttribute6', 'extensionAttribute7', 'extensionAttribute8', 'extensionAttribute9', 'extensionAttribute10',
  'extensionAttribute11', 'extensionAttribute12', 'extensionAttribute13', 'extensionAttribute14', 'extensionAttribute15'
] as const

export type AdColumnAttribute = keyof typeof AD_COLUMN_ATTRIBUTES
export type AdTextAttribute = typeof AD_TEXT_ATTRIBUTES[number]

/**
 * What mappings can write: the column attributes, the text attributes, `accountExpires`
 * (a Windows file time, as NumFromDate gives it), and `parentDistinguishedName` (the OU).
 */
export type AdAttributeName = AdColumnAttribute | AdTextAttribute | 'accountExpires' | 'parentDistinguishedName'

export const AD_ATTRIBUTES: readonly AdAttributeName[] = [
  ...Object.keys(AD_COLUMN_ATTRIBUTES) as AdColumnAttribute[],
  ...AD_TEXT_ATTRIBUTES,
  'accountExpires',
  'parentDistinguishedName'
]

/** userAccountControl as AD reports it: NORMAL_ACCOUNT (512), plus ACCOUNTDISABLE (2) when disabled. */
export function userAccountControl (accountDisabled: boolean): number {
  return accountDisabled ? 514 : 512
}

/** accountExpires when the account never expires (AD writes 0 or this). */
export const NEVER_EXPIRES = '9223372036854775807'

/** The values of an AD user that mappings write, by LDAP name. */
export type AdAttributeValues = {
  [name in AdColumnAttribute | AdTextAttribute | 'accountExpires' | 'parentDistinguishedName']: name extends 'accountDisabled' ? boolean : string | null
}

/** A stored AD user as the worker holds it while applying a request. */
export interface AdUserRecord extends AdAttributeValues {
  /** objectGUID. */
  id: string
  /** The OU the user is in; null directly under the domain. parentDistinguishedName is that container's DN. */
  ouId: string | null
  managerId: string | null
  managerExternalId: string | null
  createdByJobId: string | null
  createdAt: Date
  lastModifiedAt: Date
  /** Set in memory when an operation deletes the user (AD deletes are hard deletes). */
  deleted?: true
  source: SourceRecord | null
}

/** Where a source record is: a job's request and the operation's index in it. */
export interface SourceRecord {
  jobId: string
  requestId: string
  operationIndex: number
}

/** A row of ad_users joined with its container's DN (`parent_dn`). */
export function adUserFromRow (row: any): AdUserRecord {
  const record: any = {
    id: row.id,
    ouId: row.ou_id,
    parentDistinguishedName: row.parent_dn,
    managerId: row.manager_id,
    managerExternalId: row.manager_external_id,
    createdByJobId: row.created_by_job_id,
    createdAt: row.created_at,
    lastModifiedAt: row.last_modified_at,
    source: row.source_request_id === null || row.source_request_id === undefined
      ? null
      : { jobId: row.source_job_id, requestId: row.source_request_id, operationIndex: row.source_operation_index }
  }
  for (const [attribute, column] of Object.entries(AD_COLUMN_ATTRIBUTES)) record[attribute] = row[column]
  const stored = row.attributes ?? {}
  for (const attribute of AD_TEXT_ATTRIBUTES) record[attribute] = stored[attribute] ?? null
  record.accountExpires = stored.accountExpires ?? null
  return record as AdUserRecord
}

/** The attributes kept in the `attributes` JSON object: only those with a value. */
export function storedAttributes (user: AdUserRecord): Record<string, string> {
  const stored: Record<string, string> = {}
  for (const attribute of [...AD_TEXT_ATTRIBUTES, 'accountExpires'] as const) {
    const value = user[attribute]
    if (value !== null && value !== '') stored[attribute] = value
  }
  return stored
}
