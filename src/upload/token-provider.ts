/** Where the bearer token of every call comes from. */
export interface TokenProvider {
  token: () => Promise<string>
  /** Called after a 401: the next token() fetches a new one when the provider can. Returns whether it can. */
  invalidate: () => boolean
}

export class TokenError extends Error {}

export function staticToken (value: string): TokenProvider {
  const token = value.trim().replace(/^Bearer\s+/i, '')
  if (token === '') throw new TokenError('the token is empty')
  return { token: async () => token, invalidate: () => false }
}

export interface ClientCredentials {
  tokenUrl: string
  clientId: string
  clientSecret: string
  /** e.g. https://graph.microsoft.com/.default */
  scope?: string
}

export interface ClientCredentialsOptions {
  fetch?: typeof fetch
  now?: () => number
}

/** Renew this long before expiry (at most a tenth of the token's lifetime), so no request carries a token about to lapse. */
const RENEW_MARGIN_MS = 5 * 60_000
const TOKEN_TIMEOUT_MS = 30_000
const TOKEN_ATTEMPTS = 4

/**
 * The OAuth 2.0 client-credentials grant, as Entra clients use it: a form-encoded POST to
 * the token endpoint; the token is kept until shortly before it expires. Concurrent callers
 * share one fetch.
 */
export function clientCredentialsToken (credentials: ClientCredentials, options: ClientCredentialsOptions = {}): TokenProvider {
  const fetchImpl = options.fetch ?? fetch
  const now = options.now ?? Date.now
  let current: { value: string, renewAt: number } | undefined
  let pending: Promise<string> | undefined

  const fetchToken = async (): Promise<string> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret })
    if (credentials.scope !== undefined) form.set('scope', credentials.scope)
    for (let attempt = 1; ; attempt++) {
      const requestedAt = now()
      let response: Response
      try {
        response = await fetchImpl(credentials.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form.toString(),
          signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS)
        })
      } catch (err) {
        if (attempt >= TOKEN_ATTEMPTS) throw new TokenError(`the token endpoint ${credentials.tokenUrl} cannot be reached: ${causeOf(err)}`)
        await sleep(500 * 2 ** attempt)
        continue
      }
      const text = await response.text()
      if ((response.status >= 500 || response.status === 429) && attempt < TOKEN_ATTEMPTS) { await sleep(500 * 2 ** attempt); continue }
      const body = parseJson(text)
      if (!response.ok) {
        const reason = typeof body?.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : text.slice(0, 300)
        throw new TokenError(`the token endpoint refused the client credentials (${response.status}): ${reason}`)
      }
      if (typeof body?.access_token !== 'string') throw new TokenError(`the token endpoint answered without an access_token: ${text.slice(0, 300)}`)
      const lifetimeMs = Number(body.expires_in ?? 3600) * 1000
      current = { value: body.access_token, renewAt: requestedAt + lifetimeMs - Math.min(RENEW_MARGIN_MS, lifetimeMs / 10) }
      return body.access_token
    }
  }

  return {
    token: async () => {
      if (current !== undefined && now() < current.renewAt) return current.value
      pending ??= fetchToken().finally(() => { pending = undefined })
      return await pending
    },
    invalidate: () => { current = undefined; return true }
  }
}

function parseJson (text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown
    return value !== null && typeof value === 'object' ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

export function causeOf (err: unknown): string {
  const cause = (err as { cause?: { code?: string, message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err as Error).message
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
