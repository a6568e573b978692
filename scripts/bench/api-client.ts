/** The few API calls the bench makes, over real HTTP on loopback. */

export interface BenchJob {
  servicePrincipalId: string
  jobId: string
  jobPath: string
  uploadPath: string
}

export class ApiClient {
  constructor (readonly baseUrl: string, readonly token: string) {}

  get authHeaders (): Record<string, string> {
    return { authorization: `Bearer ${this.token}` }
  }

  private async call (method: string, path: string, body?: unknown, expected = [200, 201, 204]): Promise<any> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...this.authHeaders, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000)
    })
    const text = await response.text()
    if (!expected.includes(response.status)) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`)
    return text === '' ? undefined : JSON.parse(text)
  }

  async createDirectory (domains: string[]): Promise<string> {
    const directory = await this.call('POST', '/directories', { displayName: 'Contoso (bench)', kind: 'entra', domains })
    return directory.id as string
  }

  /** An API2AAD job on the directory; left NotRun. */
  async createJob (directoryId: string, name: string): Promise<BenchJob> {
    const sp = await this.call('POST', '/servicePrincipals', { displayName: `HR bench ${name}`, templateId: 'API2AAD', directoryId })
    const jobPath = `/servicePrincipals/${sp.id as string}/synchronization/jobs/${sp.job.id as string}`
    // Started without one, a job is quarantined; bench jobs also never hold deletes back.
    await this.call('PATCH', `${jobPath}/settings`, { notificationEmail: 'bench@contoso.com' })
    return { servicePrincipalId: sp.id, jobId: sp.job.id, jobPath, uploadPath: `${jobPath}/bulkUpload` }
  }

  /** A fresh job taking up to `maxOperations` per request, started. */
  async createStartedJob (directoryId: string, name: string, maxOperations: number): Promise<BenchJob> {
    const job = await this.createJob(directoryId, name)
    await this.setSettings(job, { maxOperations })
    await this.setState(job, 'start')
    return job
  }

  async setState (job: BenchJob, action: 'start' | 'pause'): Promise<void> {
    await this.call('POST', `${job.jobPath}/${action}`)
  }

  async setSettings (job: BenchJob, settings: { maxOperations?: number, maxPayloadBytes?: number }): Promise<void> {
    await this.call('PATCH', `${job.jobPath}/settings`, settings)
  }

  /** POSTs a BulkRequest; returns the status and the accepted request's id. */
  async upload (job: BenchJob, body: string): Promise<{ status: number, requestId?: string, error?: string }> {
    const response = await fetch(`${this.baseUrl}${job.uploadPath}`, {
      method: 'POST',
      headers: { ...this.authHeaders, 'content-type': 'application/scim+json' },
      body,
      signal: AbortSignal.timeout(60_000)
    })
    const text = await response.text()
    if (response.status !== 202) return { status: response.status, error: text.slice(0, 300) }
    return { status: 202, requestId: response.headers.get('request-id') ?? undefined }
  }

  async requestState (job: BenchJob, requestId: string): Promise<string> {
    const status = await this.call('GET', `${job.jobPath}/bulkUploads/${requestId}`)
    return status.state as string
  }
}
