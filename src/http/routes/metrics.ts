import type { FastifyInstance } from 'fastify'
import { GraphError } from '../graph-error.js'
import { DatabaseGauges } from '../../metrics/scrape-gauges.js'
import { enableDefaultMetrics, METRICS_CONTENT_TYPE, processRegistry } from '../../metrics/registry.js'
import { mayScrape, SCRAPE_REFUSED_MESSAGE } from '../../metrics/metrics-token.js'

/**
 * Prometheus metrics of this process (HTTP, accepted uploads, and in `start` the worker's
 * too) followed by the deployment's queue and job gauges, read from PostgreSQL per scrape.
 */
export default async function metricsRoutes (app: FastifyInstance, options: { token?: string }): Promise<void> {
  enableDefaultMetrics()
  const databaseGauges = new DatabaseGauges(app.db, app.log)

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Metrics in Prometheus text format',
      operationId: 'getMetrics',
      description: 'Prometheus text format 0.0.4: HTTP requests by route pattern and status with latencies, bulk requests accepted per job, ' +
        'operations processed per action and status, accept→commit latency, worker busy time, PostgreSQL pool usage, Node process metrics, ' +
        'and, read from PostgreSQL at each scrape, queue depth and oldest waiting request per job, jobs by state and quarantine per job. ' +
        'No token is needed unless METRICS_TOKEN is set; then send `Authorization: Bearer <METRICS_TOKEN>` (not a JWT).',
      security: [],
      produces: ['text/plain'],
      response: {
        200: { type: 'string', description: 'The metrics, `text/plain; version=0.0.4`.' },
        // The error is JSON, whatever this route's own media type.
        401: { description: 'METRICS_TOKEN is set and the request did not carry it.', content: { 'application/json': { schema: { $ref: 'GraphError#' } } } }
      }
    },
    onRequest: async (request) => {
      if (!mayScrape(request.headers.authorization, options.token)) {
        const refused = new GraphError(401, 'InvalidAuthenticationToken', SCRAPE_REFUSED_MESSAGE)
        refused.headers['www-authenticate'] = 'Bearer'
        throw refused
      }
    }
  }, async (_request, reply) => {
    await databaseGauges.refresh()
    const [processMetrics, databaseMetrics] = await Promise.all([processRegistry.metrics(), databaseGauges.registry.metrics()])
    return reply.type(METRICS_CONTENT_TYPE).send(processMetrics + databaseMetrics)
  })
}
