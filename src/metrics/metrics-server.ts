import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { enableDefaultMetrics, METRICS_CONTENT_TYPE, processRegistry } from './registry.js'
import { mayScrape, SCRAPE_REFUSED_MESSAGE } from './metrics-token.js'

export interface MetricsServer {
  port: number
  close: () => Promise<void>
}

/**
 * `GET /metrics` of a worker process, which has no HTTP server of its own: this process's
 * registry, nothing else. Errors use the API's Graph shape.
 */
export async function startMetricsServer (options: { host: string, port: number, token?: string, log: Logger }): Promise<MetricsServer> {
  enableDefaultMetrics()
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return sendError(response, 404, 'ResourceNotFound', `No route ${request.method ?? ''} ${path}; this port serves GET /metrics.`)
    }
    if (!mayScrape(request.headers.authorization, options.token)) {
      return sendError(response, 401, 'InvalidAuthenticationToken', SCRAPE_REFUSED_MESSAGE, { 'www-authenticate': 'Bearer' })
    }
    processRegistry.metrics().then(text => {
      response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE })
      response.end(request.method === 'HEAD' ? undefined : text)
    }, err => {
      options.log.error({ err }, 'metrics: could not render the registry')
      sendError(response, 500, 'InternalServerError', 'The metrics could not be rendered; the error is in the worker\'s log.')
    })
  })
  // A scraper's kept-alive connection must not hold up the worker's shutdown.
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve() })
  })
  const { port } = server.address() as AddressInfo
  options.log.info({ port }, 'worker metrics at /metrics')
  return {
    port,
    close: async () => {
      const closed = new Promise<void>(resolve => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    }
  }
}

function sendError (response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  response.end(JSON.stringify({ error: { code, message, details: [] } }))
}
