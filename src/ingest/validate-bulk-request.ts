import { Ajv, type ErrorObject } from 'ajv'
import type { BulkOperation, BulkValidationError, BulkValidationResult, NormalizedBulkRequest, ScimUser } from '../scim/types.js'
import { describeSchemaError } from './bulk-error-messages.js'
import { findBulkIdReferenceProblems } from './bulk-id-references.js'
import { bulkRequestSchema, enterpriseUserSchema, scimUserSchema } from './bulk-schemas.js'
import { formatPointer, parsePointer, type PointerSegment } from './json-pointer.js'
import { isJsonObject, MAX_ISSUES, normalizeBulkRequest } from './normalize-bulk-request.js'

/** At most this many errors are returned; the rest are summed up in one last error. */
export const MAX_ERRORS = MAX_ISSUES

// Compiled once at module load. `import { Ajv }` because ajv is CommonJS: under NodeNext its default import
// is the module object, not the class. `verbose` puts the offending value on each error (used only in messages).
// Strict mode stays on, with two deliberate exceptions: `allowUnionTypes` for the `["string", "null"]` of
// clearable attributes, `allowMatchingProperties` because the enterprise URN is also a custom-extension URN.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  allowMatchingProperties: true,
  verbose: true,
  messages: false
})
ajv.addSchema(enterpriseUserSchema).addSchema(scimUserSchema)
const validateSchema = ajv.compile(bulkRequestSchema)

/**
 * Length of the `Operations` array (any case) of a parsed body, or undefined when there is none. Cheap on
 * purpose: the caller answers 413 on too many operations before paying for validation.
 */
export function countOperations (parsed: unknown): number | undefined {
  if (!isJsonObject(parsed)) return undefined
  let count: number | undefined
  for (const key of Object.keys(parsed)) {
    if (key.length !== 10 || key.toLowerCase() !== 'operations') continue
    const ops = parsed[key]
    // Two spellings is itself invalid, but the largest one is what the size limit must see.
    if (Array.isArray(ops)) count = Math.max(count ?? 0, ops.length)
  }
  return count
}

/** Attaches the operation (index, bulkId) a location in the body as sent belongs to. */
function locate (operations: unknown, segments: PointerSegment[], message: string): BulkValidationError {
  const pointer = formatPointer(segments)
  const [first, index] = segments
  if (typeof index !== 'number' || typeof first !== 'string' || first.toLowerCase() !== 'operations') {
    return { pointer, message }
  }
  const op = Array.isArray(operations) ? operations[index] : undefined
  const bulkId = isJsonObject(op) ? op.bulkId : undefined
  return typeof bulkId === 'string' ? { index, bulkId, pointer, message } : { index, pointer, message }
}

function schemaErrors (errors: readonly ErrorObject[]): ErrorObject[] {
  // A failed `contains` also reports every item that did not match; only the `contains` error says what is wrong.
  return errors.filter(e => !e.schemaPath.includes('/contains/'))
}

/**
 * Normalizes (see normalizeBulkRequest) and validates a parsed BulkRequest against schemas/bulk-request.json
 * plus the rules JSON Schema cannot express (bulkId references). Never throws. On failure every problem is
 * reported, each with an RFC 6901 pointer into the body as sent and, inside an operation, its index and bulkId.
 */
export function validateBulkRequest (parsed: unknown): BulkValidationResult {
  if (!isJsonObject(parsed)) {
    return { ok: false, errors: [{ pointer: '', message: 'request body must be a JSON object: a SCIM BulkRequest with "schemas" and "Operations"' }] }
  }
  const body = normalizeBulkRequest(parsed)
  const root = body.value as Record<string, unknown>
  const operations = root.Operations
  const errors: BulkValidationError[] = []
  let more = body.suppressedIssues

  for (const issue of body.issues) errors.push(locate(operations, issue.segments, issue.message))
  if (!validateSchema(root)) {
    for (const e of schemaErrors(validateSchema.errors ?? [])) {
      if (errors.length >= MAX_ERRORS) { more++; continue }
      const segments = parsePointer(e.instancePath)
      if (e.keyword === 'required') segments.push(String((e.params as { missingProperty: string }).missingProperty))
      errors.push(locate(operations, body.toOriginal(segments), describeSchemaError(e, segments)))
    }
  }
  if (Array.isArray(operations)) {
    for (const p of findBulkIdReferenceProblems(operations)) {
      errors.push(locate(operations, body.toOriginal(p.segments), p.message))
    }
  }

  if (errors.length === 0) return { ok: true, request: toRequest(root, operations as Record<string, unknown>[]) }
  // Stable: request-level errors first, then by operation, each operation's errors in the order found.
  errors.sort((a, b) => (a.index ?? -1) - (b.index ?? -1))
  if (more > 0) errors.push({ pointer: '', message: `${more} more errors not shown` })
  return { ok: false, errors }
}

/** Only called once the schema passed, so the casts restate what ajv checked. */
function toRequest (root: Record<string, unknown>, operations: Record<string, unknown>[]): NormalizedBulkRequest {
  const ops: BulkOperation[] = []
  for (let index = 0; index < operations.length; index++) {
    const op = operations[index] as Record<string, unknown>
    const operation: BulkOperation = {
      index,
      method: op.method as BulkOperation['method'],
      path: op.path as string,
      data: op.data as ScimUser
    }
    if (typeof op.bulkId === 'string') operation.bulkId = op.bulkId
    ops.push(operation)
  }
  const request: NormalizedBulkRequest = { operations: ops }
  if (root.failOnErrors !== undefined) request.failOnErrors = root.failOnErrors as number | null
  return request
}
