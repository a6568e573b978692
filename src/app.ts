import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import fastifySwagger from '@fastify/swagger'
import { randomUUID } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import type { Config } from './config.js'
import { createPool, type Db } from './db/pool.js'
import { createQueueBackend, type QueueBackend } from './queue/backend.js'
import { JobQueues } from './queue/job-queues.js'
import { JobLookup } from './ingest/job-lookup.js'
import { UploadRateLimit } from './ingest/upload-rate-limit.js'
import { JobBacklog } from './ingest/job-backlog.js'
import { BacklogBound } from './ingest/backlog-bound.js'
import { loggerOptions } from './logger.js'
import { SCHEMAS_DIR } from './paths.js'
import auth from './http/plugins/auth.js'
import errors from './http/plugins/errors.js'
import clientRateLimit from './http/plugins/client-rate-limit.js'
import { openapiOptions } from './http/openapi-options.js'
import { registerSharedSchemas } from './http/schemas.js'
import { GraphError } from './http/graph-error.js'
import healthRoutes from './http/routes/health.js'
import docsRoutes from './http/routes/docs.js'
import metricsRoutes from './http/routes/metrics.js'
import httpMetrics from './metrics/http-metrics.js'
import { trackPool, untrackPool } from './metrics/pool-metrics.js'
import directoryRoutes from './http/routes/directories.js'
import organizationalUnitRoutes from './http/routes/organizational-units.js'
import directoryExportRoutes from './http/routes/directory-export.js'
import userRoutes from './http/routes/users.js'
import servicePrincipalRoutes from './http/routes/service-principals.js'
import bulkUploadRoutes from './http/routes/bulk-upload.js'
import bulkUploadStatusRoutes from './http/routes/bulk-upload-status.js'
import auditLogRoutes from './http/routes/audit-logs.js'
import provisioningLogRoutes from './http/routes/provisioning-logs.js'
import notificationRoutes from './http/routes/notifications.js'
import jobControlRoutes from './http/routes/job-control.js'
import jobSettingsRoutes from './http/routes/job-settings.js'
import jobStatisticsRoutes from './http/routes/job-statistics.js'
import jobSchemaRoutes from './http/routes/job-schema.js'
import jobSchemaMappingRoutes from './http/routes/job-schema-mappings.js'
import jobSchemaExtensionRoutes from './http/routes/job-schema-extensions.js'
import jobTestConnectionRoutes from './http/routes/job-test-connection.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    queues: JobQueues
    jobLookup: JobLookup
    uploadRateLimit: UploadRateLimit
    backlogBound: BacklogBound
    /** Absolute base URL for links: PUBLIC_URL, or what the client used to reach us. */
    publicBaseUrl: (request: FastifyRequest) => string
  }
}

export interface AppDependencies {
  /** Shared with an in-process worker (`start`); otherwise the app opens and closes its own. */
  db?: Db
  queueBackend?: QueueBackend
  logger?: boolean
}

/** Graph-shaped routes are also served under these prefixes, so a client only changes its base URL. */
export const GRAPH_PREFIXES = ['', '/v1.0', '/beta'] as const

/** Builds the HTTP application against the configured database and queue; never listens. */
export async function buildApp (config: Config, dependencies: AppDependencies = {}): Promise<FastifyInstance> {
  if (config.DATABASE_URL === undefined) throw new Error('DATABASE_URL must be resolved before building the app')
  const app = Fastify({
    logger: dependencies.logger === false ? false : loggerOptions(config),
    genReqId: () => randomUUID(),
    // Fastify's default strips unknown properties silently; a client must hear about them.
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    bodyLimit: 1024 * 1024
  })

  const ownsDb = dependencies.db === undefined
  const db = dependencies.db ?? createPool(config.DATABASE_URL, config.DB_POOL_MAX, 'scim-inbound-api')
  const ownsBackend = dependencies.queueBackend === undefined
  const backend = dependencies.queueBackend ?? createQueueBackend({ redisUrl: config.REDIS_URL, databaseUrl: config.DATABASE_URL, prefix: config.QUEUE_PREFIX })
  const queues = new JobQueues(backend)
  app.decorate('db', db)
  app.decorate('queues', queues)
  app.decorate('jobLookup', new JobLookup(db))
  app.decorate('uploadRateLimit', new UploadRateLimit())
  app.decorate('backlogBound', new BacklogBound(new JobBacklog(db, app.log), config.MAX_BACKLOG_OPERATIONS))
  app.decorate('publicBaseUrl', (request: FastifyRequest) => config.PUBLIC_URL?.replace(/\/$/, '') ?? `${request.protocol}://${request.host}`)
  trackPool(db)
  app.addHook('onClose', async () => {
    untrackPool(db)
    await queues.close()
    if (ownsBackend) await backend.close()
    if (ownsDb) await db.end()
  })
  // PostgreSQL cannot store or compare text holding NUL; no identifier or filter has one.
  app.addHook('onRequest', async request => {
    if (/%00/.test(request.url)) throw new GraphError(400, 'BadRequest', 'The URL contains a NUL character (%00); no identifier or filter value can hold one.')
  })
  app.addHook('onSend', async (request, reply) => {
    reply.header('request-id', request.id)
    const clientRequestId = request.headers['client-request-id']
    if (typeof clientRequestId === 'string' && clientRequestId.length <= 200) reply.header('client-request-id', clientRequestId)
  })

  await app.register(fastifySwagger, openapiOptions)
  for (const file of readdirSync(SCHEMAS_DIR).filter(name => name.endsWith('.json')).sort()) {
    app.addSchema(JSON.parse(readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')))
  }
  registerSharedSchemas(app)
  await app.register(errors)
  await app.register(httpMetrics)
  await app.register(auth, { secret: config.JWT_SECRET, jwksUrl: config.JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE })
  await app.register(clientRateLimit, { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST, redisUrl: config.REDIS_URL, keyPrefix: config.QUEUE_PREFIX })

  await app.register(healthRoutes)
  await app.register(docsRoutes)
  await app.register(metricsRoutes, { token: config.METRICS_TOKEN })
  await app.register(directoryRoutes)
  await app.register(organizationalUnitRoutes)
  await app.register(directoryExportRoutes)
  await app.register(userRoutes)
  for (const prefix of GRAPH_PREFIXES) {
    await app.register(async scope => {
      // The prefixed copies are the same operations; openapi.yaml lists each once, with
      // the prefixes as alternative servers.
      if (prefix !== '') scope.addHook('onRoute', route => { route.schema = { ...route.schema, hide: true } })
      await scope.register(servicePrincipalRoutes)
      await scope.register(jobControlRoutes)
      await scope.register(jobSettingsRoutes)
      await scope.register(jobStatisticsRoutes)
      await scope.register(jobSchemaRoutes)
      await scope.register(jobSchemaMappingRoutes)
      await scope.register(jobSchemaExtensionRoutes)
      await scope.register(jobTestConnectionRoutes)
      await scope.register(bulkUploadStatusRoutes)
      await scope.register(bulkUploadRoutes)
      await scope.register(notificationRoutes)
      await scope.register(auditLogRoutes)
      await scope.register(provisioningLogRoutes)
    }, { prefix })
  }
  return app
}
