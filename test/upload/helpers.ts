import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { createPool, type Db } from '../../src/db/pool.js'
import { PROJECT_ROOT } from '../../src/paths.js'
import { auth, buildService, createJob, token, type ProvisioningJob, type TestService } from '../helpers/service.js'

export { ENTRA_SAMPLES as FIXTURES } from '../helpers/entra-samples.js'
export const EXAMPLES = path.join(PROJECT_ROOT, 'examples', 'mappings')
export const UPLOAD_ROLES = ['SynchronizationData-User.Upload', 'Synchronization.ReadWrite.All']

export interface UploadService extends TestService {
  /** http://127.0.0.1:<port> of the real app. */
  baseUrl: string
  db: Db
}

/** The real app listening on loopback, a worker in this process and a pool on the test's database. */
export async function uploadService (t: Test): Promise<UploadService> {
  const service = await buildService(t)
  await service.app.listen({ host: '127.0.0.1', port: 0 })
  await service.startWorker()
  const db = createPool(service.config.DATABASE_URL!, 2, 'scim-inbound-upload-tests')
  t.teardown(() => db.end())
  const { port } = service.app.server.address() as AddressInfo
  return { ...service, baseUrl: `http://127.0.0.1:${port}`, db }
}

export type UploadJob = ProvisioningJob & { url: string }

/** A started API2AAD job on a new contoso.com directory, or on `directoryId`'s. */
export async function uploadJob (service: UploadService, options: { directoryId?: string, settings?: Record<string, unknown>, start?: boolean } = {}): Promise<UploadJob> {
  if (options.directoryId === undefined) {
    const job = await createJob(service.app, { settings: options.settings, start: options.start })
    return { ...job, url: `${service.baseUrl}${job.uploadUrl}` }
  }
  const sp = await service.app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR', templateId: 'API2AAD', directoryId: options.directoryId } })
  if (sp.statusCode !== 201) throw new Error(`servicePrincipal: ${sp.body}`)
  const jobUrl = `/servicePrincipals/${sp.json().id as string}/synchronization/jobs/${sp.json().job.id as string}`
  for (const [method, url, payload] of [['PATCH', `${jobUrl}/settings`, { notificationEmail: 'identity-ops@contoso.com', ...options.settings }], ['POST', `${jobUrl}/start`, undefined]] as const) {
    const response = await service.app.inject({ method, url, headers: auth(), ...(payload !== undefined ? { payload } : {}) })
    if (response.statusCode !== 204) throw new Error(`${url}: ${response.body}`)
  }
  return { directoryId: options.directoryId, servicePrincipalId: sp.json().id, jobId: sp.json().job.id, jobUrl, uploadUrl: `${jobUrl}/bulkUpload`, url: `${service.baseUrl}${jobUrl}/bulkUpload` }
}

export async function tempDir (t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scim-upload-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** `scim-inbound upload …` as a child process; the token comes from the environment as users pass it. */
export function spawnUpload (t: Test, args: string[], env: Record<string, string> = {}): ChildProcess & { output: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'cli.ts'), 'upload', ...args], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      SCIM_INBOUND_TOKEN: token(UPLOAD_ROLES, 'hr-upload'),
      // Coverage of the child counts with the suite's.
      ...(process.env.NODE_V8_COVERAGE !== undefined ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}),
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const output = new Promise<CliResult>(resolve => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return Object.assign(child, { output })
}

export async function runUpload (t: Test, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const result = await spawnUpload(t, args, env).output
  if (result.code !== 0 && process.env.UPLOAD_TEST_DEBUG !== undefined) t.comment(result.stderr)
  return result
}

export interface StoredOperation {
  sequence: number
  requestId: string
  bulkId: string
  externalId: string
  row: number
}

/** Every operation the service accepted for a job, in acceptance order. */
export async function acceptedOperations (db: Db, jobId: string): Promise<StoredOperation[]> {
  const { rows } = await db.query('SELECT id, sequence, payload FROM bulk_requests WHERE job_id = $1 ORDER BY sequence', [jobId])
  return rows.flatMap(request => (JSON.parse(request.payload).Operations as Array<{ bulkId: string, data: { externalId: string } }>).map(op => ({
    sequence: Number(request.sequence),
    requestId: request.id as string,
    bulkId: op.bulkId,
    externalId: op.data.externalId,
    row: Number(op.bulkId.replace(/^row-/, ''))
  })))
}

export interface StoredUser {
  employeeId: string
  userPrincipalName: string
  displayName: string
  givenName: string
  surname: string
  accountEnabled: boolean
  jobTitle: string | null
  department: string | null
  companyName: string | null
  city: string | null
  country: string | null
  streetAddress: string | null
  postalCode: string | null
  businessPhones: string[]
  employeeType: string | null
  managerEmployeeId: string | null
  pendingManager: string | null
}

/** The directory's live users by employeeId, with their manager's employeeId. */
export async function directoryUsers (db: Db, directoryId: string): Promise<Map<string, StoredUser>> {
  const { rows } = await db.query(`
    SELECT u.employee_id, u.user_principal_name, u.display_name, u.given_name, u.surname, u.account_enabled, u.job_title,
           u.department, u.company_name, u.city, u.country, u.street_address, u.postal_code, u.business_phones, u.employee_type,
           m.employee_id AS manager_employee_id, u.manager_external_id
    FROM directory_users u LEFT JOIN directory_users m ON m.id = u.manager_id
    WHERE u.directory_id = $1 AND u.deleted_at IS NULL`, [directoryId])
  return new Map(rows.map(row => [row.employee_id as string, {
    employeeId: row.employee_id,
    userPrincipalName: row.user_principal_name,
    displayName: row.display_name,
    givenName: row.given_name,
    surname: row.surname,
    accountEnabled: row.account_enabled,
    jobTitle: row.job_title,
    department: row.department,
    companyName: row.company_name,
    city: row.city,
    country: row.country,
    streetAddress: row.street_address,
    postalCode: row.postal_code,
    businessPhones: row.business_phones,
    employeeType: row.employee_type,
    managerEmployeeId: row.manager_employee_id,
    pendingManager: row.manager_external_id
  }]))
}
