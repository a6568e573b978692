import type { FastifyInstance } from 'fastify'
import { readFile } from 'node:fs/promises'
import { OPENAPI_FILE } from '../../paths.js'

const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string' } }
  }
} as const

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/health/live', {
    schema: {
      tags: ['operations'],
      summary: 'The process is up',
      operationId: 'getLiveness',
      security: [],
      response: { 200: { ...healthSchema, 'x-response-description': 'The process answers.' } }
    }
  }, async () => ({ status: 'ok' }))

  app.get('/health/ready', {
    schema: {
      tags: ['operations'],
      summary: 'The database and the queue are reachable',
      operationId: 'getReadiness',
      security: [],
      response: {
        200: { ...healthSchema, 'x-response-description': 'Ready: every check is `ok`.' },
        503: { ...healthSchema, 'x-response-description': 'Not ready: `checks` names what failed.' }
      }
    }
  }, async (_request, reply) => {
    const checks: Record<string, string> = {}
    await app.db.query('SELECT 1').then(() => { checks.database = 'ok' }, err => { checks.database = String(err.message) })
    await app.queues.backend.ping().then(() => { checks.queue = 'ok' }, err => { checks.queue = String(err.message) })
    const ok = Object.values(checks).every(value => value === 'ok')
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks })
  })

  app.get('/openapi.yaml', {
    schema: {
      tags: ['operations'],
      summary: 'This API described in OpenAPI 3.1',
      operationId: 'getOpenapiDocument',
      security: [],
      produces: ['application/yaml'],
      response: { 200: { type: 'string', description: 'The OpenAPI document.' } }
    }
  }, async (_request, reply) => {
    return reply.type('application/yaml; charset=utf-8').send(await readFile(OPENAPI_FILE, 'utf8'))
  })
}
