import type { EntraAttributeName } from '../directory/entra/user.js'

/**
 * How a source value becomes a target value. `direct` copies it; `localPart` keeps what
 * precedes the `@` (userName → mailNickname); `list` wraps a single value in an array
 * (a work phone → businessPhones).
 */
export type ValueTransform = 'direct' | 'localPart' | 'list'

export interface AttributeMapping {
  source: string
  target: EntraAttributeName
  transform: ValueTransform
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

/** The API2AAD template's attribute mappings (the matching pair is externalId ↔ employeeId). */
export const API2AAD_DEFAULT_MAPPINGS: AttributeMapping[] = [
  { source: 'externalId', target: 'employeeId', transform: 'direct' },
  { source: 'userName', target: 'userPrincipalName', transform: 'direct' },
  { source: 'userName', target: 'mailNickname', transform: 'localPart' },
  { source: 'active', target: 'accountEnabled', transform: 'direct' },
  { source: 'displayName', target: 'displayName', transform: 'direct' },
  { source: 'name.givenName', target: 'givenName', transform: 'direct' },
  { source: 'name.familyName', target: 'surname', transform: 'direct' },
  { source: 'title', target: 'jobTitle', transform: 'direct' },
  { source: 'emails[type eq "work"].value', target: 'mail', transform: 'direct' },
  { source: 'phoneNumbers[type eq "work"].value', target: 'businessPhones', transform: 'list' },
  { source: 'phoneNumbers[type eq "mobile"].value', target: 'mobilePhone', transform: 'direct' },
  { source: 'addresses[type eq "work"].streetAddress', target: 'streetAddress', transform: 'direct' },
  { source: 'addresses[type eq "work"].locality', target: 'city', transform: 'direct' },
  { source: 'addresses[type eq "work"].region', target: 'state', transform: 'direct' },
  { source: 'addresses[type eq "work"].postalCode', target: 'postalCode', transform: 'direct' },
  { source: 'addresses[type eq "work"].country', target: 'country', transform: 'direct' },
  { source: `${ENTERPRISE}:department`, target: 'department', transform: 'direct' },
  { source: `${ENTERPRISE}:organization`, target: 'companyName', transform: 'direct' },
  { source: 'userType', target: 'employeeType', transform: 'direct' }
]

/** The manager reference: `manager.value` carries the manager's externalId (or `bulkId:<id>`). */
export const API2AAD_MANAGER_SOURCE = `${ENTERPRISE}:manager.value`
