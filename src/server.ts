import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import type { Config } from './config.js'

/** The API role: builds the app and listens. Tokens need JWT_SECRET or JWKS_URL. */
export async function startApi (config: Config): Promise<FastifyInstance> {
  if (config.JWT_SECRET === undefined && config.JWKS_URL === undefined) {
    throw new Error('Set JWT_SECRET (HS256, at least 16 characters) or JWKS_URL (RS256/ES256) so the API can verify tokens.')
  }
  const app = await buildApp(config)
  await app.listen({ host: config.HOST, port: config.PORT })
  return app
}
