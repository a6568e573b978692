import type { FastifyInstance } from 'fastify'
import { listNotifications, type StoredNotification } from '../../notifications/outbox.js'
import { ROLES } from '../plugins/auth.js'
import { nextLink, readSkipToken } from '../skip-token.js'
import { jobParams, requireJob, type JobParams } from '../job-routes.js'
import { errorResponses } from '../schemas.js'

const nullableString = { type: ['string', 'null'] } as const

/** The job's notification outbox: what was (or would be, without SMTP) mailed, and its delivery. */
export default async function notificationRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: JobParams, Querystring: { $top?: number, $skiptoken?: string } }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/notifications', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "A job's notifications",
      operationId: 'listSynchronizationJobNotifications',
      description: 'Quarantine notices and failure digests, newest first, with their delivery: sent, or attempts and the last error while SMTP retries. ' +
        'Without SMTP_URL they are kept here unsent. Role Synchronization.ReadWrite.All or Synchronization.Read.All.',
      params: jobParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { $top: { type: 'integer', minimum: 1, maximum: 100, default: 50 }, $skiptoken: { type: 'string', maxLength: 200 } }
      },
      response: {
        200: {
          'x-response-description': 'A page of notifications; `@odata.nextLink` reads the next one.',
          type: 'object',
          required: ['value'],
          properties: {
            value: {
              type: 'array',
              items: {
                type: 'object',
                required: ['id', 'kind', 'recipient', 'subject', 'body', 'createdDateTime', 'attempts', 'nextAttemptDateTime', 'sentDateTime', 'lastError'],
                properties: {
                  id: { type: 'string', format: 'uuid' },
                  kind: { type: 'string', enum: ['quarantine', 'failureDigest'] },
                  recipient: { type: 'string' },
                  subject: { type: 'string' },
                  body: { type: 'string' },
                  createdDateTime: { type: 'string', format: 'date-time' },
                  attempts: { type: 'integer' },
                  nextAttemptDateTime: { type: 'string', format: 'date-time' },
                  sentDateTime: { ...nullableString, format: 'date-time' },
                  lastError: nullableString
                }
              }
            },
            '@odata.nextLink': { type: 'string' }
          }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => {
    const job = await requireJob(app, request.params)
    const { $top = 50, $skiptoken } = request.query
    // One more than asked tells whether a next page exists.
    const page = await listNotifications(app.db, job.id, { top: $top + 1, after: $skiptoken === undefined ? undefined : readSkipToken($skiptoken) })
    const value = page.slice(0, $top).map(resource)
    if (page.length <= $top) return { value }
    const last = page[$top - 1]!
    return { value, '@odata.nextLink': nextLink(app, request, { at: last.cursor, id: last.id }) }
  })
}

function resource (notification: StoredNotification): Record<string, unknown> {
  return {
    id: notification.id,
    kind: notification.kind,
    recipient: notification.recipient,
    subject: notification.subject,
    body: notification.body,
    createdDateTime: notification.createdAt.toISOString(),
    attempts: notification.attempts,
    nextAttemptDateTime: notification.nextAttemptAt.toISOString(),
    sentDateTime: notification.sentAt?.toISOString() ?? null,
    lastError: notification.lastError
  }
}
