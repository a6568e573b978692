import type { FastifyInstance } from 'fastify'
import { ACTIONS, readJobStatistics, STATUSES } from '../../jobs/statistics.js'
import { ROLES } from '../plugins/auth.js'
import { jobParams, requireJob, type JobParams } from '../job-routes.js'
import { errorResponses } from '../schemas.js'

const countsSchema = {
  type: 'object',
  description: 'Operations per action × status.',
  required: [...ACTIONS],
  properties: Object.fromEntries(ACTIONS.map(action => [action, {
    type: 'object',
    required: [...STATUSES],
    properties: Object.fromEntries(STATUSES.map(status => [status, { type: 'integer' }]))
  }]))
}

const cycleSchema = {
  type: ['object', 'null'],
  required: ['id', 'began', 'ended', 'durationMs', 'operations'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    began: { type: 'string', format: 'date-time' },
    ended: { type: ['string', 'null'], format: 'date-time' },
    durationMs: { type: ['integer', 'null'] },
    operations: countsSchema
  }
}

export default async function jobStatisticsRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: JobParams }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/statistics', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "A job's statistics",
      operationId: 'getSynchronizationJobStatistics',
      description: 'Operations per action × status for the current cycle, the last finished one and to date; live users the job created; ' +
        'and the requests: accepted = completed + purged + waiting, with the oldest waiting. Role Synchronization.ReadWrite.All or Synchronization.Read.All.',
      params: jobParams,
      response: {
        200: {
          'x-response-description': 'The statistics.',
          type: 'object',
          required: ['currentCycle', 'lastCycle', 'toDate', 'users', 'requests'],
          properties: {
            currentCycle: cycleSchema,
            lastCycle: cycleSchema,
            toDate: countsSchema,
            users: { type: 'integer' },
            requests: {
              type: 'object',
              required: ['accepted', 'completed', 'purged', 'waiting', 'waitingOperations', 'oldestWaitingSince', 'oldestWaitingAgeSeconds'],
              properties: {
                accepted: { type: 'integer' },
                completed: { type: 'integer' },
                purged: { type: 'integer' },
                waiting: { type: 'integer' },
                waitingOperations: { type: 'integer' },
                oldestWaitingSince: { type: ['string', 'null'], format: 'date-time' },
                oldestWaitingAgeSeconds: { type: ['number', 'null'] }
              }
            }
          }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => await readJobStatistics(app.db, await requireJob(app, request.params)))
}
