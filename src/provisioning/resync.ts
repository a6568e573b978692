import type { DbClient } from '../db/pool.js'
import type { SourceRecord } from '../directory/entra/user.js'
import { isJsonObject } from '../ingest/normalize-bulk-request.js'
import { validateBulkRequest } from '../ingest/validate-bulk-request.js'
import { BULK_REQUEST_URN, ENTERPRISE_USER_URN } from '../scim/types.js'
import { mapOperations, type Preparation, type PreparedRequest } from './prepare-request.js'

/** Users per resync request: one batch's worth. */
const USERS_PER_REQUEST = 500

/** A resync request's payload: the users to map again and where their last records are. */
interface ResyncPayload {
  resync: Array<[userId: string, requestId: string, operationIndex: number]>
}

/**
 * A full restart's re-evaluation: every live user whose last record came through the job
 * gets that record mapped again with the job's current schema. Queued as requests the
 * service makes itself (origin `resync`), after whatever waits, so the ordinary path applies
 * them in order; only real changes are logged. Returns the requests made, in order.
 */
export async function scheduleResync (client: DbClient, jobId: string): Promise<{ requestIds: string[], users: number }> {
  const { rows } = await client.query(
    `WITH users AS (
       SELECT id, source_request_id, source_operation_index
       FROM directory_users WHERE source_job_id = $1 AND source_request_id IS NOT NULL AND deleted_at IS NULL
       UNION ALL
       SELECT id, source_request_id, source_operation_index FROM ad_users WHERE source_job_id = $1 AND source_request_id IS NOT NULL),
     numbered AS (
       SELECT id, source_request_id, source_operation_index, (row_number() OVER (ORDER BY source_request_id, source_operation_index) - 1) / $2 AS chunk FROM users)
     INSERT INTO bulk_requests (id, job_id, payload, operation_count, origin)
     SELECT gen_random_uuid(), $1, json_build_object('resync', json_agg(json_build_array(id, source_request_id, source_operation_index) ORDER BY source_request_id, source_operation_index))::text, count(*), 'resync'
     FROM numbered GROUP BY chunk ORDER BY chunk
     RETURNING id, operation_count`, [jobId, USERS_PER_REQUEST])
  return { requestIds: rows.map(row => row.id as string), users: rows.reduce((sum, row) => sum + Number(row.operation_count), 0) }
}

/**
 * Prepares a resync request: reads the users' last records out of the requests that carried
 * them (each request's payload parsed once, by PostgreSQL) and maps them like any record.
 * A record whose request is gone is left out. Managers are not re-read: a record's manager
 * reference may name an operation of its own request (`bulkId:`), which means nothing now;
 * the link the user has stays.
 */
export async function prepareResyncRequest (client: DbClient, jobId: string, payload: string, preparation: Preparation): Promise<PreparedRequest> {
  const pointers = (JSON.parse(payload) as ResyncPayload).resync
  const { rows } = await client.query(
    `WITH sources AS MATERIALIZED (
       SELECT r.id, (SELECT e.value FROM jsonb_each(r.payload::jsonb) e WHERE lower(e.key) = 'operations' LIMIT 1) AS operations
       FROM bulk_requests r WHERE r.id = ANY($1::uuid[]))
     SELECT p.request_id, p.operation_index, s.operations -> p.operation_index AS operation
     FROM unnest($1::uuid[], $2::int[]) WITH ORDINALITY AS p(request_id, operation_index, position)
     JOIN sources s ON s.id = p.request_id ORDER BY p.position`,
    [pointers.map(pointer => pointer[1]), pointers.map(pointer => pointer[2])])
  const found = rows.filter(row => isJsonObject(row.operation) && isJsonObject(row.operation.data))
  const operations = found.map(row => ({ method: 'POST', path: '/Users', data: withoutManager(row.operation.data) }))
  const validation = validateBulkRequest({ schemas: [BULK_REQUEST_URN], Operations: operations })
  if (!validation.ok) throw new Error(`a user's last record no longer validates: ${validation.errors[0]?.message ?? 'unknown'}`)
  const prepared = mapOperations(validation.request.operations, preparation)
  return {
    schemaVersion: preparation.schema.version,
    operations: prepared.map((operation, i) => {
      const source: SourceRecord = { jobId, requestId: found[i]!.request_id, operationIndex: found[i]!.operation_index }
      // The link the user has stays: the record was read without its manager on purpose.
      delete operation.mapped.managerExternalId
      return { ...operation, source, resync: true }
    })
  }
}

/** The record without its manager reference (see prepareResyncRequest). */
function withoutManager (data: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...data }
  for (const [key, value] of Object.entries(copy)) {
    if (key.toLowerCase() !== ENTERPRISE_USER_URN.toLowerCase() || !isJsonObject(value)) continue
    copy[key] = Object.fromEntries(Object.entries(value).filter(([name]) => name.toLowerCase() !== 'manager'))
  }
  return copy
}
