import { CORE_USER_URN, ENTERPRISE_USER_URN } from '../scim/types.js'
import type { ExtensionAttribute } from './job-schema.js'

export interface ExtensionDataCheck {
  /** `urn:…:Name` of attributes sent under a custom extension that the job's schema does not declare. */
  ignored: string[]
  /** The first declared attribute whose value does not have the declared type. */
  invalid?: { attribute: string, reason: string }
}

const BUILT_IN = new Set([CORE_USER_URN.toLowerCase(), ENTERPRISE_USER_URN.toLowerCase()])
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$/

/**
 * Checks the custom extension data of a source user against the declared extension
 * attributes: declared ones must have their type (and be a list exactly when multi-valued);
 * undeclared ones are accepted but not mapped, and reported so the operator can declare them.
 */
export function checkExtensionData (user: Record<string, unknown>, declared: Map<string, Map<string, ExtensionAttribute>>): ExtensionDataCheck {
  const check: ExtensionDataCheck = { ignored: [] }
  for (const [key, data] of Object.entries(user)) {
    if (!key.toLowerCase().startsWith('urn:') || BUILT_IN.has(key.toLowerCase())) continue
    if (data === null || typeof data !== 'object' || Array.isArray(data)) continue
    const attributes = declared.get(key.toLowerCase())
    for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
      const attribute = attributes?.get(name.toLowerCase())
      if (attribute === undefined) { check.ignored.push(`${key}:${name}`); continue }
      const reason = typeProblem(attribute, value)
      if (reason !== undefined && check.invalid === undefined) check.invalid = { attribute: `${key}:${name}`, reason }
    }
  }
  return check
}

function typeProblem (attribute: ExtensionAttribute, value: unknown): string | undefined {
  if (value === null) return undefined
  const label = `${attribute.schema}:${attribute.name}`
  if (attribute.multiValued) {
    if (!Array.isArray(value)) return `${label} is declared multi-valued: send a list`
    const bad = value.findIndex(item => item !== null && !hasType(attribute.type, item))
    return bad < 0 ? undefined : `${label}[${bad}] must be ${describe(attribute.type)}, not ${JSON.stringify(value[bad])}`
  }
  if (Array.isArray(value)) return `${label} is declared single-valued: send one value, not a list`
  return hasType(attribute.type, value) ? undefined : `${label} must be ${describe(attribute.type)}, not ${JSON.stringify(value)}`
}

function hasType (type: ExtensionAttribute['type'], value: unknown): boolean {
  switch (type) {
    case 'string': return typeof value === 'string'
    case 'boolean': return typeof value === 'boolean'
    case 'integer': return typeof value === 'number' && Number.isSafeInteger(value)
    case 'dateTime': return typeof value === 'string' && DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))
  }
}

function describe (type: ExtensionAttribute['type']): string {
  return { string: 'a string', boolean: 'true or false', integer: 'a whole number', dateTime: 'an ISO 8601 date-time such as 2026-01-31T09:00:00Z' }[type]
}

/**
 * Declarations for the custom extension attributes of sample users, their types read from
 * the values (true/false: boolean; whole numbers: integer; ISO dates: dateTime; the rest:
 * string; a list: multi-valued), as CSV2SCIM's schema update derives them from a sample.
 */
export function declarationsFromSample (users: Array<Record<string, unknown>>): ExtensionAttribute[] {
  const found = new Map<string, ExtensionAttribute>()
  for (const user of users) {
    for (const [key, data] of Object.entries(user)) {
      if (!key.toLowerCase().startsWith('urn:') || BUILT_IN.has(key.toLowerCase())) continue
      if (data === null || typeof data !== 'object' || Array.isArray(data)) continue
      for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
        const id = `${key.toLowerCase()}:${name.toLowerCase()}`
        if (found.has(id) || value === null) continue
        const multiValued = Array.isArray(value)
        const sample = multiValued ? (value as unknown[]).find(item => item !== null) : value
        if (sample === undefined) continue
        found.set(id, { schema: key, name, type: inferType(sample), multiValued })
      }
    }
  }
  return [...found.values()]
}

function inferType (value: unknown): ExtensionAttribute['type'] {
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number' && Number.isSafeInteger(value)) return 'integer'
  if (typeof value === 'string' && DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return 'dateTime'
  return 'string'
}
