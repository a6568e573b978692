/**
 * The entra-shaped user: attribute names as Graph names them, and the column each lives in.
 * `manager` is a reference and handled apart from plain attributes.
 */
export const ENTRA_ATTRIBUTE_COLUMNS = {
  employeeId: 'employee_id',
  userPrincipalName: 'user_principal_name',
  mailNickname: 'mail_nickname',
  displayName: 'display_name',
  givenName: 'given_name',
  surname: 'surname',
  mail: 'mail',
  accountEnabled: 'account_enabled',
  jobTitle: 'job_title',
  department: 'department',
  companyName: 'company_name',
  city: 'city',
  state: 'state',
  country: 'country',
  streetAddress: 'street_address',
  postalCode: 'postal_code',
  mobilePhone: 'mobile_phone',
  businessPhones: 'business_phones',
  employeeType: 'employee_type'
} as const

export type EntraAttributeName = keyof typeof ENTRA_ATTRIBUTE_COLUMNS
export const ENTRA_ATTRIBUTES = Object.keys(ENTRA_ATTRIBUTE_COLUMNS) as EntraAttributeName[]

export interface EntraAttributeValues {
  employeeId: string | null
  userPrincipalName: string | null
  mailNickname: string | null
  displayName: string | null
  givenName: string | null
  surname: string | null
  mail: string | null
  accountEnabled: boolean
  jobTitle: string | null
  department: string | null
  companyName: string | null
  city: string | null
  state: string | null
  country: string | null
  streetAddress: string | null
  postalCode: string | null
  mobilePhone: string | null
  businessPhones: string[]
  employeeType: string | null
}

/** A stored user as the worker holds it while applying a request. */
export interface EntraUserRecord extends EntraAttributeValues {
  id: string
  managerId: string | null
  managerExternalId: string | null
  createdByJobId: string | null
  createdAt: Date | null
  lastModifiedAt: Date | null
  deletedAt: Date | null
  /** The last source record applied to the user: what a full restart maps again. */
  source: SourceRecord | null
}

/** Where a source record is: a job's request and the operation's index in it. */
export interface SourceRecord {
  jobId: string
  requestId: string
  operationIndex: number
}

/** The user as the API returns it. */
export interface EntraUserResource extends EntraAttributeValues {
  id: string
  manager: { id: string } | null
  createdDateTime: string
  lastModifiedDateTime: string
  deletedDateTime: string | null
}

/**
 * A copy of a user record, written out member by member. Every record the worker makes goes
 * through here, so all of them share one shape: V8 then copies and updates them on its fast
 * paths, where records built member by member in a loop, or spread from such records, fall
 * back to slow dictionary objects (a third of the cost of applying a batch).
 */
export function copyUserRecord (from: EntraUserRecord): EntraUserRecord {
  return {
    id: from.id,
    employeeId: from.employeeId,
    userPrincipalName: from.userPrincipalName,
    mailNickname: from.mailNickname,
    displayName: from.displayName,
    givenName: from.givenName,
    surname: from.surname,
    mail: from.mail,
    accountEnabled: from.accountEnabled,
    jobTitle: from.jobTitle,
    department: from.department,
    companyName: from.companyName,
    city: from.city,
    state: from.state,
    country: from.country,
    streetAddress: from.streetAddress,
    postalCode: from.postalCode,
    mobilePhone: from.mobilePhone,
    businessPhones: from.businessPhones,
    employeeType: from.employeeType,
    managerId: from.managerId,
    managerExternalId: from.managerExternalId,
    createdByJobId: from.createdByJobId,
    createdAt: from.createdAt,
    lastModifiedAt: from.lastModifiedAt,
    deletedAt: from.deletedAt,
    source: from.source
  }
}

export function userFromRow (row: any): EntraUserRecord {
  const record: any = {
    id: row.id,
    managerId: row.manager_id,
    managerExternalId: row.manager_external_id,
    createdByJobId: row.created_by_job_id,
    createdAt: row.created_at,
    lastModifiedAt: row.last_modified_at,
    deletedAt: row.deleted_at,
    source: row.source_request_id === null || row.source_request_id === undefined
      ? null
      : { jobId: row.source_job_id, requestId: row.source_request_id, operationIndex: row.source_operation_index }
  }
  for (const attribute of ENTRA_ATTRIBUTES) record[attribute] = row[ENTRA_ATTRIBUTE_COLUMNS[attribute]]
  return copyUserRecord(record as EntraUserRecord)
}

export function toUserResource (user: EntraUserRecord): EntraUserResource {
  const resource: any = { id: user.id }
  for (const attribute of ENTRA_ATTRIBUTES) resource[attribute] = user[attribute]
  resource.manager = user.managerId === null ? null : { id: user.managerId }
  resource.createdDateTime = (user.createdAt ?? new Date()).toISOString()
  resource.lastModifiedDateTime = (user.lastModifiedAt ?? new Date()).toISOString()
  resource.deletedDateTime = user.deletedAt === null ? null : user.deletedAt.toISOString()
  return resource as EntraUserResource
}
