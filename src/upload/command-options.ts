import { jobUrlOf } from './schema-update.js'
import { clientCredentialsToken, staticToken, type TokenProvider } from './token-provider.js'

/** The command line is wrong: the message and the usage are printed, exit status 2. */
export class UsageError extends Error {}

export function tokenProvider (values: { token?: string, 'token-url'?: string, 'client-id'?: string, 'client-secret'?: string, scope?: string }): TokenProvider {
  if (values['token-url'] !== undefined) {
    const clientSecret = values['client-secret'] ?? process.env.SCIM_INBOUND_CLIENT_SECRET
    if (values['client-id'] === undefined || clientSecret === undefined || clientSecret === '') {
      throw new UsageError('--token-url needs --client-id and --client-secret (or SCIM_INBOUND_CLIENT_SECRET)')
    }
    checkHttpUrl(values['token-url'], '--token-url')
    return clientCredentialsToken({ tokenUrl: values['token-url'], clientId: values['client-id'], clientSecret, ...(values.scope !== undefined ? { scope: values.scope } : {}) })
  }
  const token = values.token ?? process.env.SCIM_INBOUND_TOKEN
  if (token === undefined || token.trim() === '') {
    throw new UsageError('no token: pass --token (or set SCIM_INBOUND_TOKEN), or --token-url, --client-id and --client-secret for the client-credentials grant')
  }
  return staticToken(token)
}

export function checkUrl (url: string | undefined): string {
  if (url === undefined) throw new UsageError('--url is required: the job\'s bulkUpload URL, …/servicePrincipals/{id}/synchronization/jobs/{jobId}/bulkUpload')
  checkHttpUrl(url, '--url')
  try {
    jobUrlOf(url)
  } catch (err) {
    throw new UsageError(`--url: ${(err as Error).message}`)
  }
  return url
}

export function checkHttpUrl (url: string, option: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`${option} is not a URL: ${url}`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError(`${option} must be an http(s) URL: ${url}`)
}

export function positiveInteger (text: string | undefined, option: string, fallback: number, minimum = 1): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < minimum) throw new UsageError(`${option} takes a whole number${minimum > 0 ? ' above 0' : ''}, not ${JSON.stringify(text)}`)
  return value
}
