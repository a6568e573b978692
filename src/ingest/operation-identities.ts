import { LRUCache } from 'lru-cache'
import type { Db } from '../db/pool.js'
import { validateBulkRequest } from './validate-bulk-request.js'

/** What a status resource says of an operation before it has an outcome. */
export interface OperationIdentity {
  index: number
  bulkId: string | null
  method: 'POST' | 'DELETE'
  externalId: string | null
}

/**
 * Operations held in memory, counted one by one: a few megabytes. Enough for the requests
 * an uploader is following (the oldest unfinished one of each job, and a few after it).
 */
const CACHED_OPERATIONS = 50_000

// A request's payload never changes once accepted, so what was read of it stays true.
const cache = new LRUCache<string, OperationIdentity[]>({
  maxSize: CACHED_OPERATIONS,
  sizeCalculation: operations => Math.max(1, operations.length)
})

/**
 * The operations of a stored request, read from its payload. An uploader asks for the status
 * of a waiting request again and again; parsing and validating a 1,000-operation payload
 * each time cost as much as accepting it, so what was read is kept.
 */
export async function operationIdentities (db: Db, requestId: string): Promise<OperationIdentity[]> {
  const cached = cache.get(requestId)
  if (cached !== undefined) return cached
  const { rows: [request] } = await db.query('SELECT payload FROM bulk_requests WHERE id = $1', [requestId])
  if (request === undefined) return []
  const parsed = validateBulkRequest(JSON.parse(request.payload))
  const operations: OperationIdentity[] = parsed.ok
    ? parsed.request.operations.map(op => ({ index: op.index, bulkId: op.bulkId ?? null, method: op.method, externalId: op.data.externalId }))
    : []
  cache.set(requestId, operations)
  return operations
}
