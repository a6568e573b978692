import { createSigner } from 'fast-jwt'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { JWT_SECRET } from './environment.js'
import { auth, type ProvisioningJob } from './service.js'

/** Graph's permission names as the `roles` claim carries them. */
export const ROLE = {
  upload: 'SynchronizationData-User.Upload',
  uploadOwnedBy: 'SynchronizationData-User.Upload.OwnedBy',
  syncReadWrite: 'Synchronization.ReadWrite.All',
  syncRead: 'Synchronization.Read.All',
  provisioningLogRead: 'ProvisioningLog.Read.All',
  directoryReadWrite: 'Directory.ReadWrite.All',
  directoryRead: 'Directory.Read.All',
  userRead: 'User.Read.All'
} as const

export const BULK_URN = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
export const CORE_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

/** Signs any claims with the test secret (HS256); `options` go to fast-jwt's createSigner. */
export function signClaims (claims: Record<string, unknown>, options: Record<string, unknown> = {}): string {
  const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256', expiresIn: 600_000, ...options } as any)
  return sign(claims)
}

export const bearer = (jwt: string): Record<string, string> => ({ authorization: `Bearer ${jwt}` })

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/**
 * Asserts a Graph-shaped error: the status, a JSON body `{"error":{"code","message","details":[…]}}`
 * whose details each carry code and message (target, index, bulkId typed when present), and a
 * request-id header. Returns the `error` object for further assertions.
 */
export function assertGraphError (t: Test, response: LightMyRequestResponse, status: number, code?: string): any {
  t.equal(response.statusCode, status, `status ${status} (got ${response.statusCode}: ${response.body.slice(0, 300)})`)
  t.match(String(response.headers['content-type']), /^application\/json/, 'error is JSON')
  t.match(String(response.headers['request-id']), UUID, 'error carries a request-id')
  let body: any
  try {
    body = JSON.parse(response.body)
  } catch {
    t.fail(`error body is not JSON: ${response.body.slice(0, 200)}`)
    return {}
  }
  t.same(Object.keys(body), ['error'], 'body is {"error": …}')
  const error = body.error ?? {}
  t.type(error.code, 'string', 'error.code is a string')
  if (code !== undefined) t.equal(error.code, code, `error.code is ${code}`)
  t.type(error.message, 'string', 'error.message is a string')
  t.ok(String(error.message).length > 0, 'error.message is not empty')
  t.ok(Array.isArray(error.details), 'error.details is an array')
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    t.type(detail.code, 'string', 'detail.code is a string')
    t.type(detail.message, 'string', 'detail.message is a string')
    if ('target' in detail) t.type(detail.target, 'string', 'detail.target is a string')
    if ('index' in detail) t.ok(Number.isInteger(detail.index), 'detail.index is an integer')
    if ('bulkId' in detail) t.type(detail.bulkId, 'string', 'detail.bulkId is a string')
  }
  return error
}

/** The pathname and query of an absolute link (@odata.nextLink, Location), for inject. */
export function pathOf (link: string): string {
  const url = new URL(link)
  return url.pathname + url.search
}

export async function getStatus (app: FastifyInstance, job: ProvisioningJob, requestId: string, headers: Record<string, string> = auth()): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: `${job.jobUrl}/bulkUploads/${requestId}`, headers })
}

/** Raw POST to a bulkUpload URL (no defaults beyond what is given). */
export async function postUpload (app: FastifyInstance, url: string, payload: string | Buffer, headers: Record<string, string>): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url, headers, payload })
}

export async function patchSettings (app: FastifyInstance, job: ProvisioningJob, settings: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'PATCH', url: `${job.jobUrl}/settings`, headers: auth(), payload: settings })
}

export async function getJobResource (app: FastifyInstance, job: ProvisioningJob): Promise<any> {
  const response = await app.inject({ method: 'GET', url: `/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs`, headers: auth() })
  return response.json().value.find((candidate: any) => candidate.id === job.jobId)
}

/** A minimal valid operation: POST with only externalId (valid at the door; may fail to create). */
export function tinyOperation (externalId: string, bulkId?: string): Record<string, unknown> {
  return { method: 'POST', ...(bulkId !== undefined ? { bulkId } : {}), path: '/Users', data: { externalId } }
}

export function bulkOf (operations: unknown[]): Record<string, unknown> {
  return { schemas: [BULK_URN], Operations: operations }
}
