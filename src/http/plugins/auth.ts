import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyJwt from '@fastify/jwt'
import buildGetJwks from 'get-jwks'
import fp from 'fastify-plugin'
import { GraphError } from '../graph-error.js'

export interface Principal {
  /** The calling application: `azp`, `appid` or `sub`, in that order. */
  clientId: string
  roles: string[]
}

export interface AuthOptions {
  secret?: string
  jwksUrl?: string
  issuer?: string
  audience?: string
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
  }
  interface FastifyInstance {
    /** A preHandler that requires a valid token holding at least one of `roles`. */
    requireRoles: (roles: readonly string[]) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /** Verifies the bearer token and sets `request.principal`; 401 when it is missing or invalid. */
    authenticate: (request: FastifyRequest) => Promise<void>
  }
}

/**
 * Bearer JWTs: HS256 with a shared secret for local use, or RS256/ES256 verified against an
 * identity provider's JWKS. Permissions arrive in the `roles` claim, named as Graph names them.
 */
export default fp(async function auth (app: FastifyInstance, options: AuthOptions) {
  const verify = { allowedIss: options.issuer, allowedAud: options.audience }
  if (options.jwksUrl !== undefined) {
    const url = new URL(options.jwksUrl)
    const getJwks = buildGetJwks({ jwksPath: url.pathname + url.search, providerDiscovery: false })
    await app.register(fastifyJwt, {
      decode: { complete: true },
      verify: { ...verify, algorithms: ['RS256', 'ES256'] },
      secret: async (_request: FastifyRequest, token: any) => await getJwks.getPublicKey({ domain: url.origin, kid: token.header.kid, alg: token.header.alg })
    })
  } else if (options.secret !== undefined) {
    await app.register(fastifyJwt, { secret: options.secret, verify: { ...verify, algorithms: ['HS256'] } })
  } else {
    throw new Error('Set JWT_SECRET (HS256) or JWKS_URL (RS256/ES256) to verify tokens.')
  }

  app.decorateRequest('principal', null as unknown as Principal)

  app.decorate('authenticate', async function (request: FastifyRequest) {
    // Verified once per request: the per-client rate limit keys on the token before the route
    // checks it, and the second check would only repeat the signature's cost.
    if (request.principal !== null) return
    if (request.headers.authorization === undefined) {
      throw new GraphError(401, 'InvalidAuthenticationToken', 'The Authorization header is missing; send "Authorization: Bearer <token>".')
    }
    let claims: Record<string, unknown>
    try {
      claims = await request.jwtVerify<Record<string, unknown>>()
    } catch (err) {
      const expired = (err as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED'
      throw new GraphError(401, 'InvalidAuthenticationToken', expired ? 'Access token has expired or is not yet valid.' : `Access token is invalid: ${(err as Error).message}`)
    }
    if (claims === null || typeof claims !== 'object') throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token carries no claims.')
    const clientId = [claims.azp, claims.appid, claims.sub].find(value => typeof value === 'string' && value !== '') as string | undefined
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : []
    if (clientId === undefined) throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token names no client: set azp, appid or sub.')
    request.principal = { clientId, roles }
  })

  app.decorate('requireRoles', function (roles: readonly string[]) {
    return async function (request: FastifyRequest) {
      await app.authenticate(request)
      if (!roles.some(role => request.principal.roles.includes(role))) {
        throw new GraphError(403, 'Authorization_RequestDenied', `Insufficient privileges: the token needs one of the roles ${roles.join(', ')}.`)
      }
    }
  })
}, { name: 'auth' })

/** Graph's permission names, as they appear in the `roles` claim. */
export const ROLES = {
  upload: 'SynchronizationData-User.Upload',
  uploadOwnedBy: 'SynchronizationData-User.Upload.OwnedBy',
  syncReadWrite: 'Synchronization.ReadWrite.All',
  syncRead: 'Synchronization.Read.All',
  provisioningLogRead: 'ProvisioningLog.Read.All',
  auditLogRead: 'AuditLog.Read.All',
  directoryReadWrite: 'Directory.ReadWrite.All',
  directoryRead: 'Directory.Read.All',
  userRead: 'User.Read.All'
} as const
