import type { FastifyInstance } from 'fastify'
import { testConnection } from '../../jobs/test-connection.js'
import { ROLES } from '../plugins/auth.js'
import { jobParams, requireJob, type JobParams } from '../job-routes.js'
import { errorResponses } from '../schemas.js'

export default async function jobTestConnectionRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Params: JobParams }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/testConnection', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "Check that a job's target directory is ready",
      operationId: 'testSynchronizationJobConnection',
      description: 'API2AD: the directory exists and is an ad directory, its domain (and DN) is set, and its default OU exists — when it does not, the message names it and the OU to create first. ' +
        'API2AAD: the directory exists and has a verified domain. Answers 200 whether or not the checks succeed. Role Synchronization.ReadWrite.All or Synchronization.Read.All.',
      params: jobParams,
      response: {
        200: {
          'x-response-description': 'The checks, in order, and whether all succeeded.',
          type: 'object',
          required: ['succeeded', 'checks'],
          properties: {
            succeeded: { type: 'boolean' },
            checks: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'succeeded', 'message'],
                properties: {
                  name: { type: 'string', enum: ['directory', 'domain', 'defaultOu'] },
                  succeeded: { type: 'boolean' },
                  message: { type: 'string' }
                }
              }
            }
          }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => await testConnection(app.db, await requireJob(app, request.params)))
}
