import type { FastifyInstance } from 'fastify'
import { listAudits, type StoredAudit } from '../../audit/audit-log.js'
import { FilterError, parseAuditFilter } from '../../audit/audit-filter.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError } from '../graph-error.js'
import { nextLink, readSkipToken } from '../skip-token.js'
import { errorResponses } from '../schemas.js'

interface AuditQueryString { $filter?: string, $top?: number, $skiptoken?: string }

const nullableString = { type: ['string', 'null'] } as const

const directoryAuditSchema = {
  type: 'object',
  required: ['id', 'category', 'result', 'resultReason', 'activityDisplayName', 'activityDateTime', 'loggedByService', 'operationType', 'initiatedBy', 'targetResources', 'additionalDetails'],
  properties: {
    id: { type: 'string' },
    category: { type: 'string' },
    correlationId: nullableString,
    result: { type: 'string', enum: ['success', 'failure'] },
    resultReason: nullableString,
    activityDisplayName: { type: 'string' },
    activityDateTime: { type: 'string', format: 'date-time' },
    loggedByService: { type: 'string' },
    operationType: { type: 'string' },
    initiatedBy: {
      type: 'object',
      properties: {
        app: { type: ['object', 'null'], properties: { appId: nullableString, displayName: nullableString, servicePrincipalId: nullableString } },
        user: { type: 'null' }
      }
    },
    targetResources: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          displayName: nullableString,
          type: { type: 'string' },
          modifiedProperties: { type: 'array', items: { type: 'object', properties: { displayName: { type: 'string' }, oldValue: nullableString, newValue: nullableString } } }
        }
      }
    },
    additionalDetails: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, value: { type: 'string' } } } }
  }
} as const

/** The audit of administrative actions, read as Graph's directoryAudit resources. */
export default async function auditLogRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: AuditQueryString }>('/auditLogs/directoryAudits', {
    schema: {
      tags: ['audit'],
      summary: 'Audit of administrative actions',
      operationId: 'listDirectoryAudits',
      description: 'Who did what to which provisioning app or job, when, and with what result: apps created and deleted, settings changed, jobs started, paused, restarted and quarantined. ' +
        "Newest first. `$filter` takes activityDisplayName eq '…', targetResources/any(t: t/id eq '<job or app id>'), activityDateTime ge|gt|le|lt <date-time>, result eq 'success'|'failure' and initiatedBy/app/appId eq '…', joined with and. Role AuditLog.Read.All.",
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          $filter: { type: 'string', maxLength: 2000 },
          $top: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          $skiptoken: { type: 'string', maxLength: 200 }
        }
      },
      response: {
        200: {
          'x-response-description': 'A page of entries; `@odata.nextLink` reads the next one.',
          type: 'object',
          required: ['value'],
          properties: { value: { type: 'array', items: directoryAuditSchema }, '@odata.nextLink': { type: 'string' } }
        },
        ...errorResponses(400, 401, 403)
      }
    },
    preHandler: app.requireRoles([ROLES.auditLogRead])
  }, async request => {
    const { $filter, $top = 100, $skiptoken } = request.query
    let filter
    try {
      filter = $filter === undefined ? {} : parseAuditFilter($filter)
    } catch (err) {
      if (err instanceof FilterError) throw new GraphError(400, 'BadRequest', err.message, [{ code: 'invalidFilter', target: '$filter', message: err.message }])
      throw err
    }
    const after = $skiptoken === undefined ? undefined : readSkipToken($skiptoken)
    const page = await listAudits(app.db, { ...filter, top: $top + 1, after })
    const value = page.slice(0, $top).map(directoryAudit)
    if (page.length <= $top) return { value }
    const last = page[$top - 1]!
    return { value, '@odata.nextLink': nextLink(app, request, { at: last.cursor, id: last.id }) }
  })
}


function directoryAudit (entry: StoredAudit): Record<string, unknown> {
  return {
    id: entry.id,
    category: entry.category,
    correlationId: null,
    result: entry.result,
    resultReason: entry.resultReason,
    activityDisplayName: entry.activity,
    activityDateTime: entry.activityAt.toISOString(),
    loggedByService: 'scim-inbound',
    operationType: entry.operationType,
    initiatedBy: { app: entry.initiatedBy === null ? null : { appId: entry.initiatedBy, displayName: null, servicePrincipalId: null }, user: null },
    targetResources: [{ id: entry.target.id, displayName: entry.target.displayName ?? null, type: entry.target.type, modifiedProperties: entry.modifiedProperties }],
    additionalDetails: entry.additionalDetails
  }
}
