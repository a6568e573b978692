import type { FastifyInstance, FastifyRequest } from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { GraphError } from '../graph-error.js'

export interface ClientRateLimitOptions {
  /** Average requests per second a client may make; 0 turns the limit off. */
  perSecond: number
  /** Requests a client may make at once; the counting window is burst ÷ perSecond seconds. */
  burst?: number
  /** Set: the budget lives in Redis and is shared by every API process; unset: in this process. */
  redisUrl?: string
  /** Prefix of the Redis keys, so deployments (and test files) sharing a server keep apart. */
  keyPrefix: string
}

/** How long startup waits for the rate limit store before serving without it. */
const STARTUP_WAIT_MS = 2000

/** Liveness, readiness and scraping must answer while a client is throttled. */
export function isExemptFromRateLimit (routeUrl: string | undefined): boolean {
  return routeUrl !== undefined && (routeUrl.startsWith('/health/') || routeUrl === '/metrics')
}

/** A documented 429: the error body as JSON (whatever the route's own media type) and Retry-After. */
export function tooManyRequestsResponse (description: string): Record<string, unknown> {
  return {
    description,
    headers: { 'Retry-After': { type: 'integer', minimum: 1, description: 'Seconds to wait before sending again.' } },
    content: { 'application/json': { schema: { $ref: 'GraphError#' } } }
  }
}

const RATE_LIMIT_RESPONSE = tooManyRequestsResponse('Too many requests from this client (RATE_LIMIT_PER_SECOND, counted per client id, or per address without a valid token); nothing was done. Retry after the Retry-After header\'s seconds.')

/**
 * A per-client request budget for every route but health and metrics, keyed by the
 * token's client id (azp/appid/sub) so one client's tokens share a budget and clients
 * behind one address do not, and by address when there is no valid token.
 */
export default fp(async function clientRateLimit (app: FastifyInstance, options: ClientRateLimitOptions) {
  if (options.perSecond <= 0) return
  const burst = options.burst ?? options.perSecond
  const windowMs = Math.max(1, Math.round(burst / options.perSecond * 1000))
  const redis = options.redisUrl === undefined ? undefined : await rateLimitRedis(app, options.redisUrl)

  // Every route needs a 429 in its documented responses; adding it here keeps route files
  // about their own answers.
  app.addHook('onRoute', route => {
    if (isExemptFromRateLimit(route.url) || route.schema?.response === undefined) return
    const responses = route.schema.response as Record<string, unknown>
    if (responses[429] === undefined && responses['4xx'] === undefined) route.schema = { ...route.schema, response: { ...responses, 429: RATE_LIMIT_RESPONSE } }
  })

  await app.register(fastifyRateLimit, {
    global: false,
    max: burst,
    timeWindow: windowMs,
    cache: 10_000,
    redis,
    nameSpace: `${options.keyPrefix}:rate-limit:`,
    // A Redis that is down or slow must not refuse requests: they pass uncounted until it is back.
    skipOnError: true,
    keyGenerator: async request => await clientKey(app, request),
    errorResponseBuilder: (request, context) => tooManyRequests(request, context.ttl, burst, windowMs, options.perSecond)
  })
  const limit = app.rateLimit()
  // A hook of the root, so the budget is spent before any route's own work (auth, job
  // lookup, reading a body) and also by requests for routes that do not exist.
  app.addHook('onRequest', async (request, reply) => {
    if (isExemptFromRateLimit(request.routeOptions.url)) return
    await limit.call(app, request, reply)
  })
}, { name: 'client-rate-limit', dependencies: ['auth', 'errors'] })

/**
 * The token is verified here, before the route verifies it again: keying on an unverified
 * claim would let anyone spend another client's budget.
 */
async function clientKey (app: FastifyInstance, request: FastifyRequest): Promise<string> {
  if (request.headers.authorization !== undefined) {
    try {
      await app.authenticate(request)
      return `client:${request.principal.clientId}`
    } catch {
      // An invalid token is counted against its address; the route answers the 401.
    }
  }
  return `ip:${request.ip}`
}

function tooManyRequests (request: FastifyRequest, ttlMs: number, burst: number, windowMs: number, perSecond: number): GraphError {
  const retryAfter = Math.max(1, Math.ceil(ttlMs / 1000))
  const who = request.principal !== null ? `client '${request.principal.clientId}'` : `address ${request.ip} (no valid token)`
  const window = windowMs === 1000 ? 'second' : `${windowMs / 1000} seconds`
  const average = windowMs === 1000 ? '' : ` (${perSecond} per second on average)`
  const error = new GraphError(429, 'TooManyRequests',
    `Too many requests from ${who}: the limit is ${burst} request${burst === 1 ? '' : 's'} per ${window}${average}. ` +
    `Retry after ${retryAfter} second${retryAfter === 1 ? '' : 's'} (Retry-After).`,
    [{ code: 'rateLimited', message: `at most ${burst} per ${window}`, limit: burst }])
  error.headers['retry-after'] = String(retryAfter)
  return error
}

/**
 * Its own connection, failing fast: without a ready connection a command errors at once
 * (no offline queue) instead of holding the request, and skipOnError lets it through.
 * Startup waits briefly for the connection, so a new process counts from its first request.
 */
async function rateLimitRedis (app: FastifyInstance, url: string): Promise<Redis> {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 250 })
  let reachable = true
  redis.on('error', err => {
    if (reachable) app.log.warn({ err }, 'rate limit store unreachable; requests pass uncounted until it is back')
    reachable = false
  })
  redis.on('ready', () => {
    if (!reachable) app.log.info('rate limit store reachable again')
    reachable = true
  })
  app.addHook('onClose', async () => { redis.disconnect() })
  let timer: NodeJS.Timeout | undefined
  await new Promise<void>(resolve => {
    redis.once('ready', resolve)
    redis.once('error', () => resolve())
    timer = setTimeout(resolve, STARTUP_WAIT_MS)
  })
  clearTimeout(timer)
  return redis
}
