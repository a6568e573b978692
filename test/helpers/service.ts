import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { mintToken, ALL_ROLES } from '../../src/auth/mint-token.js'
import { startWorker, type RunningWorker } from '../../src/worker.js'
import { JWT_SECRET, testConfig } from './environment.js'

export function token (roles: string[] = ALL_ROLES, subject = 'test-client', expiresIn = 600): string {
  return mintToken({ secret: JWT_SECRET, roles, subject, expiresIn })
}

export const auth = (roles?: string[], subject?: string): Record<string, string> => ({ authorization: `Bearer ${token(roles, subject)}` })

export interface TestService {
  config: Config
  app: FastifyInstance
  /** Starts a worker in this process (stopped at teardown). */
  startWorker: () => Promise<RunningWorker>
}

/** The real app on a fresh database (and Redis prefix when REDIS_URL is set), closed at teardown. */
export async function buildService (t: Test, overrides: Partial<Config> = {}): Promise<TestService> {
  const config = await testConfig(t, overrides)
  const app = await buildApp(config, { logger: false })
  await app.ready()
  t.teardown(() => app.close())
  return {
    config,
    app,
    startWorker: async () => {
      const worker = await startWorker(config)
      t.teardown(() => worker.close())
      return worker
    }
  }
}

export interface ProvisioningJob {
  directoryId: string
  servicePrincipalId: string
  jobId: string
  uploadUrl: string
  jobUrl: string
}

/** A directory with its domains and an API2AAD job on it, started unless told otherwise. */
/**
 * A directory, an app and its job, with a notification email (starting a job without one
 * quarantines it) unless `notificationEmail: null`; started unless `start: false`.
 */
export async function createJob (app: FastifyInstance, options: { domains?: string[], start?: boolean, owners?: string[], notificationEmail?: string | null, settings?: Record<string, unknown> } = {}): Promise<ProvisioningJob> {
  const directory = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Contoso', kind: 'entra', domains: options.domains ?? ['contoso.com'] } })
  if (directory.statusCode !== 201) throw new Error(`directory: ${directory.body}`)
  const directoryId = directory.json().id as string
  const sp = await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'API2AAD', directoryId, owners: options.owners ?? [] } })
  if (sp.statusCode !== 201) throw new Error(`servicePrincipal: ${sp.body}`)
  const servicePrincipalId = sp.json().id as string
  const jobId = sp.json().job.id as string
  const jobUrl = `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${jobId}`
  const settings = { ...(options.notificationEmail !== null ? { notificationEmail: options.notificationEmail ?? 'identity-ops@contoso.com' } : {}), ...options.settings }
  if (Object.keys(settings).length > 0) {
    const patched = await app.inject({ method: 'PATCH', url: `${jobUrl}/settings`, headers: auth(), payload: settings })
    if (patched.statusCode !== 204) throw new Error(`settings: ${patched.body}`)
  }
  if (options.start !== false) {
    const started = await app.inject({ method: 'POST', url: `${jobUrl}/start`, headers: auth() })
    if (started.statusCode !== 204) throw new Error(`start: ${started.body}`)
  }
  return { directoryId, servicePrincipalId, jobId, jobUrl, uploadUrl: `${jobUrl}/bulkUpload` }
}

export async function upload (app: FastifyInstance, job: ProvisioningJob, body: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: job.uploadUrl,
    headers: { ...auth(), 'content-type': 'application/scim+json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

/** Polls the status resource until the request is completed (or purged). */
export async function waitForRequest (app: FastifyInstance, job: ProvisioningJob, requestId: string, timeoutMs = 20000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const response = await app.inject({ method: 'GET', url: `${job.jobUrl}/bulkUploads/${requestId}`, headers: auth() })
    const status = response.json()
    if (status.state === 'completed' || status.state === 'purged') return status
    if (Date.now() > deadline) throw new Error(`request ${requestId} still ${String(status.state)} after ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

/** Uploads and waits for the outcome; returns the status resource. */
export async function provision (app: FastifyInstance, job: ProvisioningJob, body: unknown): Promise<any> {
  const response = await upload(app, job, body)
  if (response.statusCode !== 202) throw new Error(`upload answered ${response.statusCode}: ${response.body}`)
  return await waitForRequest(app, job, response.headers['request-id'] as string)
}

export async function findUser (app: FastifyInstance, job: ProvisioningJob, employeeId: string): Promise<any> {
  const response = await app.inject({ method: 'GET', url: `/directories/${job.directoryId}/users?employeeId=${encodeURIComponent(employeeId)}`, headers: auth() })
  return response.json().value[0]
}

/** A SCIM BulkRequest of POST operations, one per user given. */
export function bulkRequest (users: Array<Record<string, unknown>>, method = 'POST'): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: users.map((data, index) => ({ method, bulkId: String(data.bulkId ?? `op${index}`), path: '/Users', data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], ...data, bulkId: undefined } })),
    failOnErrors: null
  }
}

/** A valid user for a contoso.com directory. */
export function scimUser (externalId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    externalId,
    userName: `user${externalId}@contoso.com`,
    displayName: `User ${externalId}`,
    name: { givenName: 'User', familyName: externalId },
    active: true,
    ...extra
  }
}
