import { validateBulkRequest } from '../ingest/validate-bulk-request.js'
import { applyMappings } from '../mapping/apply-mappings.js'
import type { CompiledSchema, MappingContext } from '../mapping/compiled-schema.js'
import type { BulkOperation } from '../scim/types.js'
import type { PreparedOperation } from './apply-operations.js'

/**
 * A stored request parsed, normalized and mapped: everything about it that does not depend
 * on the directory. Pure work on an immutable payload, so it may be done ahead of time,
 * while the previous batch is in PostgreSQL.
 */
export interface PreparedRequest {
  /** The schema version the operations were mapped with: a request prepared with another is prepared again. */
  schemaVersion: number
  operations: PreparedOperation[]
}

/** What mapping a request needs besides the request: the job's schema and its directory's facts. */
export interface Preparation {
  schema: CompiledSchema
  context: MappingContext
}

export function prepareRequest (payload: string, preparation: Preparation): PreparedRequest {
  return mapRequest(parseStoredRequest(payload), preparation)
}

/**
 * The first half of preparing: the stored payload parsed, validated and normalized. It
 * does not depend on the job's schema, so it holds whatever schema the batch maps with.
 */
export function parseStoredRequest (payload: string): BulkOperation[] {
  const validation = validateBulkRequest(JSON.parse(payload))
  // Accepted requests were validated; a failure here means the rules changed since.
  if (!validation.ok) throw new Error(`stored request no longer validates: ${validation.errors[0]?.message ?? 'unknown'}`)
  return validation.request.operations
}

/** The second half: the parsed operations mapped with the job's schema. */
export function mapRequest (operations: BulkOperation[], preparation: Preparation): PreparedRequest {
  return { schemaVersion: preparation.schema.version, operations: mapOperations(operations, preparation) }
}

/** What failure entries need of an operation. */
export interface OperationIdentity {
  index: number
  bulkId?: string
  method: 'POST' | 'DELETE'
  externalId: string | null
  displayName: string | null
}

/**
 * The operations of a stored request as far as they can still be read, for the entries that
 * report them failed: validated when the request still validates, read leniently otherwise,
 * so every accepted operation is still reported once even when today's rules refuse it.
 */
export function readOperations (payload: string): OperationIdentity[] {
  let parsed: unknown
  try { parsed = JSON.parse(payload) } catch { return [] }
  const validated = validateBulkRequest(parsed)
  if (validated.ok) {
    return validated.request.operations.map(op => ({
      index: op.index,
      bulkId: op.bulkId,
      method: op.method,
      externalId: op.data.externalId,
      displayName: typeof op.data.displayName === 'string' ? op.data.displayName : null
    }))
  }
  const operations = isObject(parsed) ? Object.entries(parsed).find(([key]) => key.toLowerCase() === 'operations')?.[1] : undefined
  if (!Array.isArray(operations)) return []
  return operations.map((raw, index) => {
    const op = isObject(raw) ? raw : {}
    const data = isObject(op.data) ? op.data : {}
    return {
      index,
      bulkId: typeof op.bulkId === 'string' ? op.bulkId : undefined,
      method: typeof op.method === 'string' && op.method.toUpperCase() === 'DELETE' ? 'DELETE' : 'POST',
      externalId: typeof data.externalId === 'string' ? data.externalId : null,
      displayName: typeof data.displayName === 'string' ? data.displayName : null
    }
  })
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** bulkId references are scoped to their request (RFC 7644 §3.7.2). */
export function mapOperations (operations: BulkOperation[], { schema, context }: Preparation): PreparedOperation[] {
  const externalIdByBulkId = new Map<string, string>()
  for (const op of operations) {
    if (op.bulkId !== undefined && !externalIdByBulkId.has(op.bulkId)) externalIdByBulkId.set(op.bulkId, op.data.externalId)
  }
  return operations.map(op => ({
    // Once mapped, only the identity of the source user is read again (matching, the log);
    // the rest of its SCIM document is let go, so a batch prepared ahead holds little memory.
    op: { ...op, data: { externalId: op.data.externalId, displayName: op.data.displayName } },
    mapped: applyMappings(op.data as unknown as Record<string, unknown>, schema, context, bulkId => externalIdByBulkId.get(bulkId))
  }))
}
