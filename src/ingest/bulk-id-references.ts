import { ENTERPRISE_USER_URN } from '../scim/types.js'
import { isJsonObject } from './normalize-bulk-request.js'

/** RFC 7644 §3.7.2: a value `bulkId:<id>` stands for the resource created by the operation with that bulkId. */
export const BULK_ID_PREFIX = 'bulkId:'

export interface ReferenceProblem {
  index: number
  /** Canonical location of the reference in the normalized body. */
  segments: string[]
  message: string
}

function member (obj: unknown, key: string): unknown {
  return isJsonObject(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined
}

function indexBulkIds (operations: readonly unknown[]): Map<string, number[]> {
  const ids = new Map<string, number[]>()
  operations.forEach((op, i) => {
    const id = member(op, 'bulkId')
    if (typeof id !== 'string') return
    const holders = ids.get(id)
    if (holders === undefined) ids.set(id, [i])
    else holders.push(i)
  })
  return ids
}

/**
 * Checks every `bulkId:` reference in the enterprise `manager.value` of the normalized operations.
 *
 * Duplicate bulkIds alone are accepted on purpose: Microsoft's own samples (Extended-SCIM-bulk-request-
 * Core+Enterprise.json, the Graph Explorer and Postman bodies) send two operations with the same bulkId.
 * A duplicate is refused only when some operation references it, because the reference would be ambiguous.
 */
export function findBulkIdReferenceProblems (operations: readonly unknown[]): ReferenceProblem[] {
  const problems: ReferenceProblem[] = []
  let ids: Map<string, number[]> | undefined // built only when a request actually uses references
  for (let i = 0; i < operations.length; i++) {
    const ref = member(member(member(member(operations[i], 'data'), ENTERPRISE_USER_URN), 'manager'), 'value')
    if (typeof ref !== 'string' || !ref.startsWith(BULK_ID_PREFIX)) continue
    ids ??= indexBulkIds(operations)
    const target = ref.slice(BULK_ID_PREFIX.length)
    const holders = ids.get(target) ?? []
    if (holders.length === 1) continue
    const segments = ['Operations', String(i), 'data', ENTERPRISE_USER_URN, 'manager', 'value']
    const message = holders.length === 0
      ? `manager.value references bulkId "${target}" but no operation in this request has that bulkId`
      : `manager.value references bulkId "${target}", which operations ${holders.join(', ')} share; a referenced bulkId must be unique`
    problems.push({ index: i, segments, message })
  }
  return problems
}
