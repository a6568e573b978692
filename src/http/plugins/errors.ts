import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { GraphError } from '../graph-error.js'

/**
 * One error handler for the Graph-shaped surface: our GraphErrors pass through, Fastify's
 * own 4xx (schema validation, malformed JSON, media type) are reshaped with what was wrong
 * and where, and anything else is a 500 whose details stay in the log, not the response.
 */
export default fp(async function errors (app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof GraphError) return reply.code(err.statusCode).headers(err.headers).send(err.toBody())
    if (err.validation !== undefined) {
      const where = err.validationContext ?? 'request'
      // An if/then/else schema adds a summary "must match then schema" to the failures it explains.
      const details = err.validation.filter(issue => issue.keyword !== 'if').map(issue => ({
        code: 'invalidValue',
        target: `${where}${issue.instancePath === '' ? '' : issue.instancePath}`,
        message: `${issue.instancePath === '' ? where : issue.instancePath} ${issue.message ?? 'is invalid'}` +
          (issue.params !== undefined && 'additionalProperty' in issue.params ? ` ('${String(issue.params.additionalProperty)}')` : '') +
          (issue.params !== undefined && 'allowedValues' in issue.params ? `: ${(issue.params.allowedValues as unknown[]).join(', ')}` : '')
      }))
      return reply.code(400).send(new GraphError(400, 'BadRequest', `The ${where} is invalid: ${details.map(d => d.message).join('; ')}`, details).toBody())
    }
    if (err.code === 'ECONNRESET' || err.message === 'aborted') {
      // The client went away mid-body: nothing was accepted and nobody reads the answer.
      request.log.info({ err: err.message }, 'client aborted the request')
      return reply.code(400).send(new GraphError(400, 'BadRequest', 'The request body was cut off before it ended.').toBody())
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      const code = status === 415 ? 'UnsupportedMediaType' : status === 413 ? 'RequestEntityTooLarge' : status === 404 ? 'ResourceNotFound' : 'BadRequest'
      return reply.code(status).send(new GraphError(status, code, err.message).toBody())
    }
    request.log.error({ err }, 'unhandled error')
    return reply.code(500).send(new GraphError(500, 'InternalServerError', 'The service could not complete the request; it has been logged with this request-id.').toBody())
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new GraphError(404, 'ResourceNotFound', `No route ${request.method} ${request.url.split('?')[0]}.`).toBody())
  })
}, { name: 'errors' })
