import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Histogram } from 'prom-client'
import { processRegistry } from './registry.js'
import { recordBulkRequestAccepted } from './upload-metrics.js'
import { BULK_UPLOAD_PATH } from '../http/routes/bulk-upload.js'

/** Requests that matched no route: one label value, never the URL (its cardinality is the client's to choose). */
export const UNMATCHED_ROUTE = 'unmatched'

const httpRequests = new Counter({
  name: 'scim_inbound_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status code.',
  labelNames: ['method', 'route', 'status_code'] as const,
  registers: [processRegistry]
})

// No status code here: each label value multiplies the series by the number of buckets.
const httpRequestDuration = new Histogram({
  name: 'scim_inbound_http_request_duration_seconds',
  help: 'Time from receiving an HTTP request to the end of its response, by method and route pattern.',
  labelNames: ['method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processRegistry]
})

/**
 * Records every response once it is sent, labelled with the route's pattern
 * (`/servicePrincipals/:spId/…`), so ids in URLs never become label values.
 */
export default fp(async function httpMetrics (app: FastifyInstance) {
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE
    const statusCode = reply.statusCode
    httpRequests.inc({ method: request.method, route, status_code: statusCode })
    httpRequestDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
    if (statusCode === 202 && route.endsWith(BULK_UPLOAD_PATH)) recordBulkRequestAccepted(request.uploadJob.id)
    done()
  })
}, { name: 'http-metrics' })
