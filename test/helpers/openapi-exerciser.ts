import { randomUUID } from 'node:crypto'
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import type { OpenapiContract, OperationMatch } from './openapi-contract.js'
import type { OpenapiExampleRecorder } from './openapi-example-recorder.js'
import { token } from './service.js'

export interface Exchange {
  method: HTTPMethods
  url: string
  /** JSON (an object) or raw text. */
  payload?: unknown
  /** Wins over a content-type in `headers`; defaults to application/json when there is a payload. */
  contentType?: string
  headers?: Record<string, string>
  /** Send no Authorization header (the default is a token with every role). */
  anonymous?: boolean
  /** The caller's address (default 127.0.0.1): a client without a token is counted by it. */
  remoteAddress?: string
}

export interface ExerciseOptions {
  /** Another instance of the app (throttled, or without a database) instead of the main one. */
  app?: FastifyInstance
  /** Derive the refusals (401, 403, 404, 400, 429) and other servers from this case; by default only from a success. */
  derive?: boolean
}

const UUID_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Over Fastify's bodyLimit (1 MiB) and a job's default maxPayloadBytes (5 MiB) alike. */
const OVERSIZED_BODY = JSON.stringify({ padding: 'x'.repeat(6 * 1024 * 1024) })

/** Clients of their own on the throttled app, so the budget they spend is only theirs. */
const THROTTLED_CLIENT = 'openapi-throttled-client'

/**
 * Sends requests to the real app and checks every response against openapi.yaml. A success
 * is followed by what can be derived from it without side effects — each refused before the
 * handler runs: no token (401), a token without roles (403), unknown ids (404), a malformed
 * id and a NUL in the URL (400), a body too large (413) or of another media type (415), the
 * same request from a client over its rate limit (429),
 * and, for reads, the same request through the document's other servers (/v1.0, /beta).
 * So a new route needs one success case to have all its documented refusals tried.
 */
export class OpenapiExerciser {
  /** Clients that have spent their budget on the throttled app so far. */
  private throttledClients = 0

  constructor (
    private readonly t: Test,
    private readonly contract: OpenapiContract,
    private readonly app: FastifyInstance,
    private readonly throttled: FastifyInstance,
    private readonly recorder?: OpenapiExampleRecorder
  ) {}

  async send (name: string, exchange: Exchange, expectedStatus: number, options: ExerciseOptions = {}): Promise<LightMyRequestResponse> {
    const response = await this.inject(options.app ?? this.app, exchange)
    this.t.equal(response.statusCode, expectedStatus, `${name}: ${exchange.method} ${exchange.url} → ${expectedStatus}`, { body: response.body.slice(0, 1000) })
    const { match, status, problems } = this.contract.check(exchange.method, exchange.url, response)
    this.t.same(problems, [], `${name}: the response is as openapi.yaml documents it`)
    if (match !== undefined) {
      if (status !== undefined) this.recorder?.record(match, status, { payload: exchange.payload, contentType: contentTypeOf(exchange) }, response)
      const derive = options.derive ?? response.statusCode < 300
      if (derive && (options.app === undefined || options.app === this.app)) await this.derive(name, exchange, match, response.statusCode)
    }
    return response
  }

  private async derive (name: string, exchange: Exchange, match: OperationMatch, status: number): Promise<void> {
    const documents = (code: number): boolean => match.operation.responses[String(code)] !== undefined
    const needsToken = match.operation.security === undefined || match.operation.security.length > 0
    if (needsToken && documents(401)) {
      await this.send(`${name}, without a token`, { ...exchange, anonymous: true }, 401, { derive: false })
    }
    if (needsToken && documents(403)) {
      await this.send(`${name}, with a token that has no role`, { ...exchange, headers: { ...exchange.headers, authorization: `Bearer ${token([], 'openapi-no-roles')}` } }, 403, { derive: false })
    }
    const segments = pathOf(exchange.url).split('/')
    if (segments.some(segment => UUID_SEGMENT.test(segment))) {
      if (documents(404)) {
        await this.send(`${name}, with unknown ids`, { ...exchange, url: withPath(exchange.url, segments.map(segment => UUID_SEGMENT.test(segment) ? randomUUID() : segment)) }, 404, { derive: false })
      }
      const first = segments.findIndex(segment => UUID_SEGMENT.test(segment))
      await this.send(`${name}, with a malformed id`, { ...exchange, url: withPath(exchange.url, segments.map((segment, index) => index === first ? 'not-a-uuid' : segment)) }, 400, { derive: false })
    }
    if (exchange.payload !== undefined) {
      // Fastify itself reads JSON and plain text; XML no route takes.
      if (documents(415)) await this.send(`${name}, with a body of another media type`, { ...exchange, contentType: 'application/xml' }, 415, { derive: false })
      if (documents(413)) await this.send(`${name}, with a body over every limit`, { ...exchange, payload: OVERSIZED_BODY }, 413, { derive: false })
    }
    await this.send(`${name}, with a NUL in the URL`, { ...exchange, url: `${exchange.url}${exchange.url.includes('?') ? '&' : '?'}probe=%00` }, 400, { derive: false })
    if (documents(429)) await this.overRateLimit(name, exchange)
    if (exchange.method === 'GET') {
      const root = match.server.replace(/\/$/, '')
      for (const server of this.contract.serversOf(match.path).map(url => url.replace(/\/$/, '')).filter(url => url !== root)) {
        const url = server + pathOf(exchange.url).slice(root.length) + queryOf(exchange.url)
        await this.send(`${name}, through ${server}`, { ...exchange, url }, status, { derive: false })
      }
    }
  }

  /**
   * Spends a client's budget (one request a second on the throttled app) on a harmless read,
   * then sends the request. A client's window opens with its first request, so each case is a
   * new client (client id, or address without a token): the read opens its window and the
   * request lands in it. One client for all cases would spend in a window an earlier case
   * opened, which can close between the read and the request.
   */
  private async overRateLimit (name: string, exchange: Exchange): Promise<void> {
    const client = ++this.throttledClients
    const throttledExchange: Exchange = exchange.anonymous === true
      ? { ...exchange, remoteAddress: `10.0.${(client >> 8) & 255}.${client & 255}` }
      : { ...exchange, headers: { ...exchange.headers, authorization: `Bearer ${token(undefined, `${THROTTLED_CLIENT}-${client}`)}` } }
    await this.inject(this.throttled, { method: 'GET', url: '/openapi.yaml', anonymous: exchange.anonymous, headers: throttledExchange.headers, remoteAddress: throttledExchange.remoteAddress })
    await this.send(`${name}, over the client's rate limit`, throttledExchange, 429, { app: this.throttled, derive: false })
  }

  private async inject (app: FastifyInstance, exchange: Exchange): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(exchange.anonymous === true ? {} : { authorization: `Bearer ${token()}` }), ...exchange.headers }
    if (exchange.anonymous === true) delete headers.authorization
    const contentType = contentTypeOf(exchange)
    if (contentType !== undefined) headers['content-type'] = contentType
    const payload = exchange.payload === undefined ? undefined : typeof exchange.payload === 'string' ? exchange.payload : JSON.stringify(exchange.payload)
    return await app.inject({ method: exchange.method, url: exchange.url, headers, ...(payload === undefined ? {} : { payload }), ...(exchange.remoteAddress === undefined ? {} : { remoteAddress: exchange.remoteAddress }) })
  }
}

function contentTypeOf (exchange: Exchange): string | undefined {
  return exchange.contentType ?? exchange.headers?.['content-type'] ?? (exchange.payload === undefined ? undefined : 'application/json')
}

const pathOf = (url: string): string => url.split('?')[0]!
const queryOf = (url: string): string => url.includes('?') ? url.slice(url.indexOf('?')) : ''
const withPath = (url: string, segments: string[]): string => segments.join('/') + queryOf(url)
