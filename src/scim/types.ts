/** URNs the service understands natively. Names are compared case-insensitively on input. */
export const BULK_REQUEST_URN = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
export const CORE_USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const ENTERPRISE_USER_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

export interface ScimMultiValue {
  value?: string
  type?: string
  primary?: boolean
  display?: string
  [key: string]: unknown
}

export interface ScimAddress {
  type?: string
  primary?: boolean
  formatted?: string
  streetAddress?: string
  locality?: string
  region?: string
  postalCode?: string
  country?: string
}

export interface EnterpriseUser {
  employeeNumber?: string
  costCenter?: string
  organization?: string
  division?: string
  department?: string
  manager?: { value?: string, $ref?: string, displayName?: string }
}

/**
 * A SCIM User after normalization: attribute names carry their canonical case
 * (`username` → `userName`), the enterprise extension sits under its canonical URN, and
 * unknown extension objects are kept as sent under their original key.
 */
export interface ScimUser {
  schemas?: string[]
  externalId: string
  userName?: string
  name?: { formatted?: string, familyName?: string, givenName?: string, middleName?: string, honorificPrefix?: string, honorificSuffix?: string }
  displayName?: string
  nickName?: string
  title?: string
  userType?: string
  preferredLanguage?: string
  locale?: string
  timezone?: string
  active?: boolean
  emails?: ScimMultiValue[]
  phoneNumbers?: ScimMultiValue[]
  addresses?: ScimAddress[]
  [ENTERPRISE_USER_URN]?: EnterpriseUser
  [key: string]: unknown
}

export interface BulkOperation {
  /** Position in the request's Operations array (0-based). */
  index: number
  method: 'POST' | 'DELETE'
  bulkId?: string
  path: string
  data: ScimUser
}

export interface NormalizedBulkRequest {
  operations: BulkOperation[]
  failOnErrors?: number | null
}

/** One reason a bulk request was refused, located precisely for the client. */
export interface BulkValidationError {
  /** Operation index, when the problem lies inside one operation. */
  index?: number
  bulkId?: string
  /** RFC 6901 JSON pointer into the request body as sent (original key spelling). */
  pointer: string
  message: string
}

export type BulkValidationResult =
  | { ok: true, request: NormalizedBulkRequest }
  | { ok: false, errors: BulkValidationError[] }
