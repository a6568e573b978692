import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { Config } from '../../src/config.js'
import { createPool, type Db } from '../../src/db/pool.js'
import { auth, buildService, createJob, upload, type ProvisioningJob, type TestService } from './service.js'
import { readModifiedProperties, type StoredModifiedProperties } from '../../src/logs/modified-properties.js'
import { readSteps, type StoredSteps } from '../../src/logs/stored-steps.js'

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'

export interface ProvisioningFixture extends TestService {
  /** A pool on the test's database, for reading provisioning_logs and bulk_requests. */
  db: Db
}

/**
 * One service, one worker and one pool for a whole test file (a fresh database costs about
 * a second); each subtest still gets its own directory and job through `createJob`.
 */
export async function provisioningFixture (t: Test, overrides: Partial<Config> = {}, options: { worker?: boolean } = {}): Promise<ProvisioningFixture> {
  const service = await buildService(t, overrides)
  if (options.worker !== false) await service.startWorker()
  const db = createPool(service.config.DATABASE_URL!, 3, 'scim-inbound-tests')
  t.teardown(() => db.end())
  return { ...service, db }
}

export interface OperationSpec {
  method?: 'POST' | 'DELETE'
  bulkId?: string
  data: Record<string, unknown>
}

/** A POST operation as Entra sends it. */
export function post (data: Record<string, unknown>, bulkId?: string): OperationSpec {
  return { method: 'POST', data, ...(bulkId !== undefined ? { bulkId } : {}) }
}

/** A DELETE operation as Entra sends it: method DELETE, path /Users, data carrying the externalId. */
export function del (externalId: string, bulkId?: string): OperationSpec {
  return { method: 'DELETE', data: { externalId }, ...(bulkId !== undefined ? { bulkId } : {}) }
}

/** A SCIM BulkRequest of the given operations (POST and DELETE mixed), bulkIds op0, op1, … unless given. */
export function bulk (operations: OperationSpec[]): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: operations.map((op, index) => ({
      method: op.method ?? 'POST',
      bulkId: op.bulkId ?? `op${index}`,
      path: '/Users',
      data: { schemas: [CORE, ENTERPRISE], ...op.data }
    })),
    failOnErrors: null
  }
}

/** Uploads (expects 202) and returns the request id, without waiting. */
export async function accept (app: FastifyInstance, job: ProvisioningJob, body: unknown): Promise<string> {
  const response = await upload(app, job, body)
  if (response.statusCode !== 202) throw new Error(`upload answered ${response.statusCode}: ${response.body}`)
  return response.headers['request-id'] as string
}

/**
 * Uploads the operations and waits for the request to complete; returns the status resource.
 * A processing error (an attempt rolled back, bulk_requests.last_error set) fails at once with
 * that error instead of waiting out the retries.
 */
export async function run (app: FastifyInstance, job: ProvisioningJob, operations: OperationSpec[], timeoutMs = 20000): Promise<any> {
  const requestId = await accept(app, job, bulk(operations))
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const response = await app.inject({ method: 'GET', url: `${job.jobUrl}/bulkUploads/${requestId}`, headers: auth() })
    const status = response.json()
    if (status.state === 'completed') return status
    if (status.state === 'purged') throw new Error(`request ${requestId} was purged`)
    const { rows: [row] } = await app.db.query('SELECT last_error FROM bulk_requests WHERE id = $1', [requestId])
    if (row?.last_error != null) throw new Error(`processing request ${requestId} failed: ${String(row.last_error)}`)
    if (Date.now() > deadline) throw new Error(`request ${requestId} still ${String(status.state)} after ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

/** [externalId, action, status, errorCode] of each operation of a status resource. */
export function outcomes (status: any): Array<[string, string, string, string | null]> {
  return status.operations.map((op: any) => [op.externalId, op.action, op.status, op.errorCode])
}

export async function startJob (app: FastifyInstance, job: ProvisioningJob): Promise<void> {
  const response = await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })
  if (response.statusCode !== 204) throw new Error(`start: ${response.body}`)
}

export async function pauseJob (app: FastifyInstance, job: ProvisioningJob): Promise<void> {
  const response = await app.inject({ method: 'POST', url: `${job.jobUrl}/pause`, headers: auth() })
  if (response.statusCode !== 204) throw new Error(`pause: ${response.body}`)
}

/** Every user of the directory (soft-deleted ones included), as the API returns them. */
export async function listUsers (app: FastifyInstance, job: ProvisioningJob): Promise<any[]> {
  const response = await app.inject({ method: 'GET', url: `/directories/${job.directoryId}/users?$top=1000`, headers: auth() })
  if (response.statusCode !== 200) throw new Error(`list users: ${response.body}`)
  return response.json().value
}

export async function getUser (app: FastifyInstance, job: ProvisioningJob, userId: string): Promise<any> {
  const response = await app.inject({ method: 'GET', url: `/directories/${job.directoryId}/users/${userId}`, headers: auth() })
  if (response.statusCode !== 200) throw new Error(`get user ${userId}: ${response.statusCode} ${response.body}`)
  return response.json()
}

/** The user with that employeeId, or undefined; fails when more than one matches. */
export async function userByEmployeeId (app: FastifyInstance, job: ProvisioningJob, employeeId: string): Promise<any> {
  const response = await app.inject({ method: 'GET', url: `/directories/${job.directoryId}/users?employeeId=${encodeURIComponent(employeeId)}`, headers: auth() })
  if (response.statusCode !== 200) throw new Error(`find user: ${response.body}`)
  const value = response.json().value as any[]
  if (value.length > 1) throw new Error(`${value.length} users with employeeId ${employeeId}`)
  return value[0]
}

export interface LogRow {
  id: string
  request_id: string
  operation_index: number
  target_user_id: string | null
  job_id: string
  cycle_id: string
  change_id: string
  activity_at: Date
  action: string
  status: string
  error_code: string | null
  reason: string | null
  bulk_id: string | null
  method: string | null
  source_id: string | null
  source_display_name: string | null
  target_id: string | null
  target_display_name: string | null
  modified_properties: Array<{ displayName: string, oldValue: string | null, newValue: string | null }>
  steps: Array<{ name: string, provisioningStepType: string, status: string, description: string }>
}

/** The provisioning log rows of one request, operations first in index order, then reference-resolution rows. */
export async function logRows (db: Db, requestId: string): Promise<LogRow[]> {
  const { rows } = await db.query(
    `SELECT * FROM provisioning_logs WHERE request_id = $1
     ORDER BY operation_index < 0, operation_index, source_id`, [requestId])
  return rows.map(readStored)
}

/** The provisioning log rows of a job, oldest first (ties in activity_at, a millisecond, broken by acceptance order). */
export async function jobLogRows (db: Db, jobId: string): Promise<Array<LogRow & { sequence: string }>> {
  const { rows } = await db.query(
    `SELECT l.*, r.sequence FROM provisioning_logs l JOIN bulk_requests r ON r.id = l.request_id
     WHERE l.job_id = $1 ORDER BY l.activity_at, r.sequence, l.operation_index < 0, l.operation_index`, [jobId])
  return rows.map(readStored)
}

/** Log rows keep modified properties and steps compactly, as JSON text; read them in Graph's shape, as the service does. */
function readStored<Row extends { modified_properties: unknown, steps: unknown }> (row: Row): Row {
  return {
    ...row,
    modified_properties: readModifiedProperties(JSON.parse(row.modified_properties as string) as StoredModifiedProperties),
    steps: readSteps(JSON.parse(row.steps as string) as StoredSteps)
  }
}

/** Modified properties as { attribute: [old, new] }, for exact comparison. */
export function changes (row: Pick<LogRow, 'modified_properties'>): Record<string, [string | null, string | null]> {
  const out: Record<string, [string | null, string | null]> = {}
  for (const p of row.modified_properties) {
    if (Object.hasOwn(out, p.displayName)) throw new Error(`modifiedProperties lists ${p.displayName} twice`)
    out[p.displayName] = [p.oldValue, p.newValue]
  }
  return out
}

/** Steps as [type, status] pairs. */
export function stepKinds (row: Pick<LogRow, 'steps'>): Array<[string, string]> {
  return row.steps.map(step => [step.provisioningStepType, step.status])
}

export async function waitFor<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

export { createJob, type ProvisioningJob }
