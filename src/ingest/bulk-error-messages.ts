import type { ErrorObject } from 'ajv'
import { BULK_REQUEST_URN } from '../scim/types.js'

const isIndex = (s: string): boolean => /^(?:0|[1-9]\d*)$/.test(s)

/**
 * Names the attribute at `segments` (canonical spelling) as a client would write it in a mapping:
 * relative to the operation's `data` (`emails[0].primary`), URN extensions with `:`
 * (`urn:…:enterprise:2.0:User:manager.value`), operation members bare (`method`).
 */
export function attributeLabel (segments: readonly string[]): string {
  let rest = segments
  if (rest.length >= 2 && rest[0] === 'Operations' && isIndex(rest[1] ?? '')) {
    rest = rest.slice(2)
    if (rest.length === 0) return `Operations[${segments[1]}]`
    if (rest[0] === 'data' && rest.length > 1) rest = rest.slice(1)
  }
  let label = ''
  let previous = ''
  for (const s of rest) {
    if (isIndex(s)) label += `[${s}]`
    else if (label === '') label = s
    else label += (previous.toLowerCase().startsWith('urn:') ? ':' : '.') + s
    previous = s
  }
  return label === '' ? 'request body' : label
}

const TYPE_PHRASES: Record<string, string> = {
  string: 'a string',
  boolean: 'boolean',
  object: 'an object',
  array: 'an array',
  integer: 'an integer',
  number: 'a number',
  null: 'null'
}

/** Why a required member is needed, so the message also says what is expected. */
const REQUIRED_HINTS: Record<string, string> = {
  schemas: `an array containing "${BULK_REQUEST_URN}"`,
  Operations: 'an array of operations',
  method: 'POST or DELETE',
  path: '/Users',
  data: 'the user object; a DELETE carries data.externalId',
  externalId: "a non-empty string: the user's identifier in the source system"
}

function jsonType (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

/** A short rendering of what the client sent; long strings are cut so messages stay small. */
function got (v: unknown): string {
  if (typeof v === 'string') return `got ${JSON.stringify(v.length > 64 ? v.slice(0, 64) + '…' : v)}`
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return `got ${String(v)}`
  return `got ${jsonType(v)}`
}

/**
 * A human message for one ajv error (compiled with `verbose: true`, so `data` and `schema` are set).
 * `segments` are the canonical location, including the missing member for `required`.
 */
export function describeSchemaError (e: ErrorObject, segments: readonly string[]): string {
  const label = attributeLabel(segments)
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'type': {
      const types = Array.isArray(p.type) ? p.type as string[] : [String(p.type)]
      return `${label} must be ${types.map(t => TYPE_PHRASES[t] ?? t).join(' or ')} (${got(e.data)})`
    }
    case 'required': {
      const missing = String(p.missingProperty)
      const hint = REQUIRED_HINTS[missing]
      return hint === undefined ? `${label} is required` : `${label} is required (${hint})`
    }
    case 'enum':
      return `${label} must be ${(p.allowedValues as unknown[]).map(String).join(' or ')} (${got(e.data)})`
    case 'const':
      return `${label} must be ${String(p.allowedValue)} (${got(e.data)})`
    case 'contains':
      return `${label} must contain ${JSON.stringify((e.schema as { const?: unknown }).const)}`
    case 'minItems':
      return label === 'Operations'
        ? `Operations must contain at least ${String(p.limit)} operation`
        : `${label} must have at least ${String(p.limit)} items`
    case 'maxItems':
      return `${label} must have at most ${String(p.limit)} items (got ${(e.data as unknown[]).length})`
    case 'minLength':
      return p.limit === 1 ? `${label} must not be empty` : `${label} must be at least ${String(p.limit)} characters`
    case 'maxLength':
      return `${label} must be at most ${String(p.limit)} characters (got ${(e.data as string).length})`
    case 'minimum':
      return `${label} must be ${String(p.comparison)} ${String(p.limit)} (${got(e.data)})`
    default:
      return `${label} is invalid (${e.keyword})`
  }
}
