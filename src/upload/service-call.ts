import { causeOf, type TokenProvider } from './token-provider.js'

export interface ServiceRequest {
  method: 'GET' | 'POST'
  url: string
  headers?: Record<string, string>
  body?: string
}

export interface ServiceResponse {
  status: number
  headers: Headers
  text: string
}

export interface RetryEvent {
  /** What was being done, e.g. "rows 2–51". */
  what: string
  status?: number
  reason: string
  delayMs: number
  attempt: number
}

export interface CallOptions {
  tokens: TokenProvider
  /** Transient failures (network, 5xx) retried before giving up; throttling (429) is always waited out. */
  maxRetries: number
  timeoutMs: number
  /** Shared by every call of a run: one 429 holds all of them back, not only its own. */
  gate: RetryGate
  /** Aborting stops the waits between attempts; a request already sent is let finish. */
  signal?: AbortSignal
  fetch?: typeof fetch
  onRetry?: (event: RetryEvent) => void
}

/** The service answered with an error that retrying does not cure. */
export class ServiceError extends Error {
  constructor (message: string, readonly status: number, readonly code?: string, readonly details: Array<Record<string, unknown>> = []) {
    super(message)
  }
}

/** The run was interrupted (Ctrl-C) while waiting to retry. */
export class Interrupted extends Error {
  constructor () { super('interrupted') }
}

/** Holds calls back until a moment a throttled answer named. */
export class RetryGate {
  private until = 0

  postpone (delayMs: number): void {
    this.until = Math.max(this.until, Date.now() + delayMs)
  }

  async wait (signal?: AbortSignal): Promise<void> {
    while (Date.now() < this.until) await sleep(this.until - Date.now(), signal)
  }
}

const BASE_DELAY_MS = 500
const MAX_DELAY_MS = 30_000
const MAX_RETRY_AFTER_MS = 3_600_000
/** A service that throttles this many times in a row for one request is not coming back. */
const MAX_THROTTLED = 1000
const THROTTLED = new Set([429, 503])
const TRANSIENT = new Set([500, 502, 503, 504])

/**
 * Sends one request, retrying it whole — the same body every time, never a part of it —
 * through throttling (429, and 503, after Retry-After), server errors and network failures.
 * A 401 is retried once with a new token when the provider can get one.
 */
export async function callService (what: string, request: ServiceRequest, options: CallOptions): Promise<ServiceResponse> {
  let transient = 0
  let throttled = 0
  let renewedToken = false
  for (let attempt = 1; ; attempt++) {
    await options.gate.wait(options.signal)
    const token = await options.tokens.token()
    let response: Response
    let text: string
    try {
      response = await (options.fetch ?? fetch)(request.url, {
        method: request.method,
        headers: { ...request.headers, authorization: `Bearer ${token}` },
        body: request.body,
        signal: AbortSignal.timeout(options.timeoutMs)
      })
      text = await response.text()
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs / 1000} s` : `network error: ${causeOf(err)}`
      if (++transient > options.maxRetries) throw new ServiceError(`${what}: ${reason}; gave up after ${attempt} attempts`, 0)
      await retryLater(what, { reason, attempt, delayMs: backoff(transient) }, options)
      continue
    }
    if (response.status < 300) return { status: response.status, headers: response.headers, text }
    const error = graphError(text)
    if (response.status === 401 && !renewedToken && options.tokens.invalidate()) {
      renewedToken = true
      continue
    }
    const retryAfter = retryAfterMs(response.headers.get('retry-after'))
    if (THROTTLED.has(response.status) && (response.status === 429 || retryAfter !== undefined)) {
      if (++throttled > MAX_THROTTLED) throw new ServiceError(`${what}: still throttled after ${throttled} attempts`, response.status, error.code)
      const delayMs = retryAfter ?? backoff(Math.min(throttled, 6))
      options.gate.postpone(delayMs)
      await retryLater(what, { status: response.status, reason: error.message ?? 'throttled', attempt, delayMs }, options)
      continue
    }
    if (TRANSIENT.has(response.status)) {
      if (++transient > options.maxRetries) throw new ServiceError(`${what}: the service answered ${response.status} ${error.message ?? ''}; gave up after ${attempt} attempts`.trim(), response.status, error.code)
      await retryLater(what, { status: response.status, reason: error.message ?? `status ${response.status}`, attempt, delayMs: retryAfter ?? backoff(transient) }, options)
      continue
    }
    throw new ServiceError(`${what}: the service refused it (${response.status}${error.code !== undefined ? ` ${error.code}` : ''}): ${error.message ?? (text.slice(0, 300) || 'no details')}`,
      response.status, error.code, error.details)
  }
}

async function retryLater (what: string, event: Omit<RetryEvent, 'what'>, options: CallOptions): Promise<void> {
  options.onRetry?.({ what, ...event })
  await sleep(event.delayMs, options.signal)
}

/** Exponential, with jitter so that concurrent requests do not come back in step. */
function backoff (failures: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (failures - 1))
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2)
}

/** Retry-After in seconds or as an HTTP date. */
export function retryAfterMs (header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const seconds = Number(header)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now()
  if (Number.isNaN(ms)) return undefined
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms))
}

/** Graph's error body: `{"error": {"code", "message", "details"}}`. */
function graphError (text: string): { code?: string, message?: string, details: Array<Record<string, unknown>> } {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown, message?: unknown, details?: unknown } }
    const error = body.error
    if (error === undefined || error === null || typeof error !== 'object') return { details: [] }
    return {
      ...(typeof error.code === 'string' ? { code: error.code } : {}),
      ...(typeof error.message === 'string' ? { message: error.message } : {}),
      details: Array.isArray(error.details) ? error.details as Array<Record<string, unknown>> : []
    }
  } catch {
    return { details: [] }
  }
}

export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) throw new Interrupted()
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(new Interrupted()) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
