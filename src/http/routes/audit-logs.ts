import type { FastifyInstance } from 'fastify'
import { listAudits, type StoredAudit } from '../../audit/audit-log.js'
import { FilterError, parseAuditFilter, SUPPORTED_FILTERS, type AuditFilter } from '../../audit/audit-filter.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError } from '../graph-error.js'
import { nextLink, readSkipToken } from '../skip-token.js'
import { errorResponses } from '../schemas.js'

interface AuditQueryString { $filter?: string, $top: number, $skiptoken?: string }

const nullableString = { type: ['string', 'null'] } as const

const directoryAuditSchema = {
  type: 'object',
  required: ['id', 'category', 'correlationId', 'result', 'resultReason', 'activityDisplayName', 'activityDateTime', 'loggedByService', 'operationType', 'initiatedBy', 'targetResources', 'additionalDetails'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    category: { type: 'string', enum: ['ProvisioningManagement', 'ApplicationManagement'] },
    correlationId: { ...nullableString, description: 'Not tracked: always null.' },
    result: { type: 'string', enum: ['success', 'failure'] },
    resultReason: nullableString,
    activityDisplayName: { type: 'string' },
    activityDateTime: { type: 'string', format: 'date-time', description: 'UTC, with microseconds.' },
    loggedByService: { type: 'string', enum: ['Core Directory', 'Account Provisioning'] },
    operationType: { type: 'string', enum: ['Add', 'Update', 'Delete', 'Other'] },
    initiatedBy: {
      type: 'object',
      required: ['app', 'user'],
      properties: {
        app: {
          type: ['object', 'null'],
          description: 'The client id of the token that made the change; null for what the service did by itself (a quarantine).',
          required: ['appId', 'displayName', 'servicePrincipalId'],
          properties: { appId: { type: 'string' }, displayName: nullableString, servicePrincipalId: nullableString }
        },
        user: { type: 'null' }
      }
    },
    targetResources: {
      type: 'array',
      description: 'The app or job acted on; for an action on an app, its job follows.',
      items: {
        type: 'object',
        required: ['id', 'displayName', 'type', 'modifiedProperties'],
        properties: {
          id: { type: 'string' },
          displayName: nullableString,
          type: { type: 'string', enum: ['ServicePrincipal', 'SynchronizationJob'] },
          modifiedProperties: {
            type: 'array',
            items: { type: 'object', required: ['displayName', 'oldValue', 'newValue'], properties: { displayName: { type: 'string' }, oldValue: nullableString, newValue: nullableString } }
          }
        }
      }
    },
    additionalDetails: { type: 'array', items: { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: { type: 'string' } } } }
  }
} as const

/** The audit of administrative actions, read as Graph's directoryAudit resources. */
export default async function auditLogRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: AuditQueryString }>('/auditLogs/directoryAudits', {
    schema: {
      tags: ['audit'],
      summary: 'List the audit of administrative actions',
      operationId: 'listDirectoryAudits',
      description: 'Who did what to which provisioning app or job, when, and with what result: apps added and deleted, settings and schema changed, ' +
        'jobs started, paused, restarted and quarantined. Newest first. Pages with $top and the $skiptoken carried by @odata.nextLink. ' +
        `\`$filter\` takes ${SUPPORTED_FILTERS}; a target id may be a job's or an app's. Role AuditLog.Read.All.`,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          $filter: { type: 'string', maxLength: 2000, description: `OData: ${SUPPORTED_FILTERS}.` },
          $top: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          $skiptoken: { type: 'string', maxLength: 200, description: 'Opaque; copy it from @odata.nextLink.' }
        }
      },
      response: {
        200: {
          'x-response-description': 'One page of entries; `@odata.nextLink` is present when there are more.',
          type: 'object',
          required: ['value'],
          properties: { value: { type: 'array', items: directoryAuditSchema }, '@odata.nextLink': { type: 'string' } }
        },
        ...errorResponses(400, 401, 403)
      }
    },
    preHandler: app.requireRoles([ROLES.auditLogRead])
  }, async request => {
    const { $filter, $top: top, $skiptoken } = request.query
    const filter = $filter === undefined ? {} : readFilter($filter)
    const after = $skiptoken === undefined ? undefined : readSkipToken($skiptoken)
    const entries = await listAudits(app.db, { ...filter, top: top + 1, after })
    const page = entries.slice(0, top)
    const body: Record<string, unknown> = { value: page.map(directoryAudit) }
    if (entries.length > top) {
      const last = page[page.length - 1]!
      body['@odata.nextLink'] = nextLink(app, request, { at: last.activityDateTime, id: last.id })
    }
    return body
  })
}

function readFilter (text: string): AuditFilter {
  try {
    return parseAuditFilter(text)
  } catch (err) {
    if (!(err instanceof FilterError)) throw err
    throw new GraphError(400, 'BadRequest', err.message, [{ code: 'invalidFilter', target: '$filter', message: err.reason }])
  }
}

function directoryAudit (entry: StoredAudit): Record<string, unknown> {
  const targets = [{ id: entry.target.id, displayName: entry.target.displayName, type: entry.target.type, modifiedProperties: entry.modifiedProperties }]
  if (entry.jobId !== null && entry.jobId !== entry.target.id) targets.push({ id: entry.jobId, displayName: null, type: 'SynchronizationJob', modifiedProperties: [] })
  return {
    id: entry.id,
    category: entry.category,
    correlationId: null,
    result: entry.result,
    resultReason: entry.resultReason,
    activityDisplayName: entry.activity,
    activityDateTime: entry.activityDateTime,
    // The services Entra names for these categories, so clients that group by it still can.
    loggedByService: entry.category === 'ApplicationManagement' ? 'Core Directory' : 'Account Provisioning',
    operationType: entry.operationType,
    initiatedBy: { app: entry.initiatedBy === null ? null : { appId: entry.initiatedBy, displayName: null, servicePrincipalId: null }, user: null },
    targetResources: targets,
    additionalDetails: entry.additionalDetails
  }
}
