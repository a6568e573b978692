import { BULK_REQUEST_URN, CORE_USER_URN, ENTERPRISE_USER_URN } from '../scim/types.js'
import { bulkRequestSchema, schemasById, type JsonSchema } from './bulk-schemas.js'

/** A member the schemas name: how it is spelled canonically and how to normalize its value. */
export interface Field {
  readonly name: string
  /** Members of the object value (or of each object in an array value); undefined: copy keys as sent. */
  readonly shape: Shape | undefined
  /** Canonicalizes a scalar value (or each scalar in an array value), e.g. `post` → `POST`. */
  value?: (v: unknown) => unknown
}

/** The known members of one kind of object, keyed by canonical AND lower-case name (RFC 7643 §2.1: case-insensitive). */
export interface Shape {
  readonly fields: Map<string, Field>
}

/** Exact lookup first so canonical input never pays for `toLowerCase()`. */
export function lookupField (shape: Shape, key: string): Field | undefined {
  return shape.fields.get(key) ?? shape.fields.get(key.toLowerCase())
}

function resolvePointer (doc: JsonSchema, fragment: string): JsonSchema {
  let node: unknown = doc
  for (const seg of fragment.split('/').slice(1)) node = (node as Record<string, unknown>)[seg]
  if (node === undefined) throw new Error(`schema $ref fragment not found: #${fragment}`)
  return node as JsonSchema
}

/** Follows `$ref`s (local `#/…` or another schema's `$id`), returning the target and the document it lives in. */
function deref (schema: JsonSchema, doc: JsonSchema): [JsonSchema, JsonSchema] {
  while (typeof schema.$ref === 'string') {
    const [base = '', fragment = ''] = schema.$ref.split('#')
    const target = base === '' ? doc : schemasById.get(base)
    if (target === undefined) throw new Error(`unresolvable schema $ref: ${schema.$ref}`)
    doc = target
    schema = fragment === '' ? target : resolvePointer(target, fragment)
  }
  return [schema, doc]
}

function buildShape (schema: JsonSchema, doc: JsonSchema): Shape | undefined {
  [schema, doc] = deref(schema, doc)
  if (schema.items !== undefined) return buildShape(schema.items, doc)
  if (schema.properties === undefined) return undefined
  const shape: Shape = { fields: new Map() }
  for (const [name, sub] of Object.entries(schema.properties)) {
    const field: Field = { name, shape: buildShape(sub, doc) }
    shape.fields.set(name, field)
    shape.fields.set(name.toLowerCase(), field)
  }
  return shape
}

function field (shape: Shape | undefined, name: string): Field {
  const f = shape?.fields.get(name)
  // Fails at module load if the schema files and this code drift apart.
  if (f === undefined) throw new Error(`schemas/ lacks the member "${name}" the normalizer relies on`)
  return f
}

// Keyed by canonical and lower-case spelling: canonical input (the common case) skips `toLowerCase()`.
const KNOWN_URNS = new Map([BULK_REQUEST_URN, CORE_USER_URN, ENTERPRISE_USER_URN].flatMap(u => [[u, u], [u.toLowerCase(), u]]))
const canonicalUrn = (v: unknown): unknown => typeof v === 'string' ? KNOWN_URNS.get(v) ?? KNOWN_URNS.get(v.toLowerCase()) ?? v : v
const upperCase = (v: unknown): unknown => typeof v === 'string' ? v.toUpperCase() : v
const usersPath = (v: unknown): unknown => typeof v === 'string' && v.toLowerCase() === '/users' ? '/Users' : v

/** The BulkRequest body itself, as the field the normalizer starts from. */
export const BULK_REQUEST_FIELD: Field = { name: '', shape: buildShape(bulkRequestSchema, bulkRequestSchema) }

field(BULK_REQUEST_FIELD.shape, 'schemas').value = canonicalUrn
const operation = field(BULK_REQUEST_FIELD.shape, 'Operations').shape
field(operation, 'method').value = upperCase
field(operation, 'path').value = usersPath
field(field(operation, 'data').shape, 'schemas').value = canonicalUrn

/** The members of a SCIM user (`data` of an operation), for checking the source attributes a mapping names. */
export const USER_DATA_SHAPE: Shape | undefined = field(operation, 'data').shape
