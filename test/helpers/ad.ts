import type { FastifyInstance } from 'fastify'
import { auth, type ProvisioningJob } from './service.js'

/** An ad directory for contoso.com with the given OUs (parents first); the first OU is the default unless `defaultOu` says otherwise. */
export async function createAdDirectory (app: FastifyInstance, options: { ous?: string[], defaultOu?: string, domain?: string } = {}): Promise<string> {
  const domain = options.domain ?? 'contoso.com'
  const ous = options.ous ?? ['OU=Users,DC=contoso,DC=com']
  const directory = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Contoso AD', kind: 'ad', domain, defaultOu: options.defaultOu ?? ous[0] } })
  if (directory.statusCode !== 201) throw new Error(`directory: ${directory.body}`)
  const directoryId = directory.json().id as string
  for (const distinguishedName of ous) {
    const ou = await app.inject({ method: 'POST', url: `/directories/${directoryId}/organizationalUnits`, headers: auth(), payload: { distinguishedName } })
    if (ou.statusCode !== 201) throw new Error(`OU ${distinguishedName}: ${ou.body}`)
  }
  return directoryId
}

/** An API2AD app and its job on the directory, with a notification email, started unless told otherwise. */
export async function createAdJob (app: FastifyInstance, directoryId: string, options: { start?: boolean } = {}): Promise<ProvisioningJob> {
  const sp = await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR to AD', templateId: 'API2AD', directoryId } })
  if (sp.statusCode !== 201) throw new Error(`servicePrincipal: ${sp.body}`)
  const servicePrincipalId = sp.json().id as string
  const jobId = sp.json().job.id as string
  const jobUrl = `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${jobId}`
  const patched = await app.inject({ method: 'PATCH', url: `${jobUrl}/settings`, headers: auth(), payload: { notificationEmail: 'identity-ops@contoso.com' } })
  if (patched.statusCode !== 204) throw new Error(`settings: ${patched.body}`)
  if (options.start !== false) {
    const started = await app.inject({ method: 'POST', url: `${jobUrl}/start`, headers: auth() })
    if (started.statusCode !== 204) throw new Error(`start: ${started.body}`)
  }
  return { directoryId, servicePrincipalId, jobId, jobUrl, uploadUrl: `${jobUrl}/bulkUpload` }
}

/** The AD users matching a query string such as `sAMAccountName=jsmith` (all pages). */
export async function adUsers (app: FastifyInstance, directoryId: string, query = ''): Promise<any[]> {
  const users: any[] = []
  let url: string | undefined = `/directories/${directoryId}/users?$top=1000${query === '' ? '' : `&${query}`}`
  while (url !== undefined) {
    const response: { statusCode: number, body: string, json: () => any } = await app.inject({ method: 'GET', url, headers: auth() })
    if (response.statusCode !== 200) throw new Error(`users: ${response.body}`)
    users.push(...response.json().value)
    const next: string | undefined = response.json()['@odata.nextLink']
    url = next === undefined ? undefined : next.slice(next.indexOf('/directories/'))
  }
  return users
}

/** The one AD user with this employeeID, or undefined. */
export async function adUser (app: FastifyInstance, directoryId: string, employeeId: string): Promise<any> {
  return (await adUsers(app, directoryId, `employeeID=${encodeURIComponent(employeeId)}`))[0]
}
