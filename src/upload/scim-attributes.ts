/**
 * The SCIM user attributes a mapping can write, with the types and lengths the service's
 * JSON Schemas (`schemas/scim-user.json`, `schemas/enterprise-user.json`) accept, so rows are
 * refused here, with their row number, instead of by the service for a whole request.
 */

export const CORE_USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const ENTERPRISE_USER_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const BULK_REQUEST_URN = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'

export type ValueType = 'string' | 'boolean' | 'integer' | 'dateTime'

export interface SimpleAttribute {
  name: string
  type: 'string' | 'boolean'
  maxLength?: number
}

export interface ComplexAttribute {
  name: string
  subAttributes: Record<string, SimpleAttribute>
  /** Multi-valued attributes are lists of entries told apart by their `type`. */
  multiValued: boolean
}

export type AttributeDefinition = SimpleAttribute | ComplexAttribute

const text = (name: string, maxLength = 1024): SimpleAttribute => ({ name, type: 'string', maxLength })
const flag = (name: string): SimpleAttribute => ({ name, type: 'boolean' })

function complex (name: string, multiValued: boolean, subAttributes: SimpleAttribute[]): ComplexAttribute {
  return { name, multiValued, subAttributes: Object.fromEntries(subAttributes.map(sub => [sub.name.toLowerCase(), sub])) }
}

const multiValue = (name: string): ComplexAttribute =>
  complex(name, true, [text('value', 2048), text('display'), text('type', 256), flag('primary')])

function catalogue (attributes: AttributeDefinition[]): ReadonlyMap<string, AttributeDefinition> {
  return new Map(attributes.map(attribute => [attribute.name.toLowerCase(), attribute]))
}

/**
 * Core User attributes (RFC 7643 §4.1) the service accepts. `password` and `groups` are left
 * out on purpose: inbound provisioning sets neither.
 */
export const CORE_ATTRIBUTES = catalogue([
  text('externalId'),
  text('userName'),
  complex('name', false, ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map(sub => text(sub))),
  text('displayName'),
  text('nickName'),
  text('profileUrl', 2048),
  text('title'),
  text('userType', 256),
  text('preferredLanguage', 256),
  text('locale', 256),
  text('timezone', 256),
  flag('active'),
  multiValue('emails'),
  multiValue('phoneNumbers'),
  multiValue('ims'),
  multiValue('photos'),
  multiValue('entitlements'),
  multiValue('roles'),
  complex('addresses', true, [
    text('formatted'), text('streetAddress'), text('locality'), text('region'),
    text('postalCode', 256), text('country', 256), text('type', 256), flag('primary')
  ])
])

export const ENTERPRISE_ATTRIBUTES = catalogue([
  text('employeeNumber'),
  text('costCenter'),
  text('organization'),
  text('division'),
  text('department'),
  complex('manager', false, [text('value'), text('displayName')])
])

export function isComplex (attribute: AttributeDefinition): attribute is ComplexAttribute {
  return 'subAttributes' in attribute
}
