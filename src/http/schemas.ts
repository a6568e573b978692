import type { FastifyInstance } from 'fastify'
import { AD_USER_SCHEMA } from '../directory/ad/user-resource.js'
import { JOB_SETTINGS_PROPERTIES } from '../jobs/settings.js'
import { PROVISIONING_OBJECT_SUMMARY_SCHEMA } from '../logs/provisioning-object-summary.js'

/**
 * Shapes shared by routes, registered once by `$id` so handlers validate and serialize with
 * them and openapi.yaml names them as components.
 */
const nullableString = { type: ['string', 'null'] } as const

export const sharedSchemas = [
  {
    $id: 'GraphError',
    type: 'object',
    description: 'Graph-shaped error. `details` names each problem, with `target` a JSON pointer and, for bulk requests, the operation `index` and `bulkId`; for a job schema, the mapping\'s `targetAttributeName` and the `position` in its expression.',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          details: {
            type: 'array',
            items: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                target: { type: 'string' },
                index: { type: 'integer' },
                bulkId: { type: 'string' },
                limit: { type: 'integer' },
                targetAttributeName: { type: 'string', description: 'For a schema: the mapping\'s target attribute.' },
                position: { type: 'integer', description: 'For an expression or pattern: the 1-based character where it goes wrong.' }
              }
            }
          }
        }
      }
    }
  },
  {
    $id: 'Directory',
    type: 'object',
    required: ['id', 'displayName', 'kind', 'domains', 'createdDateTime'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      displayName: { type: 'string' },
      kind: { type: 'string', enum: ['entra', 'ad'] },
      domains: { type: 'array', items: { type: 'string' }, description: 'entra: verified domains, the first the default domain; ad: its one domain.' },
      domain: { type: 'string', description: 'ad: the domain.' },
      domainDistinguishedName: { type: 'string', description: 'ad: the DN of the domain, e.g. `DC=contoso,DC=com`.' },
      defaultOu: { type: 'string', description: 'ad: where users go unless a mapping gives parentDistinguishedName (canonical RFC 4514).' },
      createdDateTime: { type: 'string', format: 'date-time' }
    }
  },
  {
    $id: 'OrganizationalUnit',
    type: 'object',
    description: 'An organizational unit of an ad directory; DNs in canonical RFC 4514 form.',
    required: ['id', 'name', 'distinguishedName', 'parentDistinguishedName', 'createdDateTime'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string', description: 'The OU= value, unescaped.' },
      distinguishedName: { type: 'string' },
      parentDistinguishedName: { type: 'string', description: 'The parent OU, or the domain DN.' },
      createdDateTime: { type: 'string', format: 'date-time' }
    }
  },
  {
    $id: 'JobSettings',
    type: 'object',
    required: Object.keys(JOB_SETTINGS_PROPERTIES),
    properties: JOB_SETTINGS_PROPERTIES
  },
  {
    $id: 'SynchronizationJob',
    type: 'object',
    required: ['id', 'templateId', 'status', 'schedule', 'settings'],
    properties: {
      id: { type: 'string', description: '`<templateId>.<32 hex>.<uuid>`, as Graph shapes job ids.' },
      templateId: { type: 'string', enum: ['API2AAD', 'API2AD'] },
      servicePrincipalId: { type: 'string', format: 'uuid' },
      directoryId: { type: 'string', format: 'uuid' },
      schedule: {
        type: 'object',
        properties: { state: { type: 'string', enum: ['Active', 'Disabled', 'Paused'] } }
      },
      status: { $ref: 'SynchronizationStatus#' },
      settings: { $ref: 'JobSettings#' }
    }
  },
  {
    $id: 'SynchronizationExecution',
    type: ['object', 'null'],
    description: 'One processing cycle (Graph synchronizationTaskExecution): it begins with the first request after the queue ran dry, or after a start or restart, and ends when the queue is empty again.',
    required: ['activityIdentifier', 'timeBegan', 'timeEnded', 'state', 'countImported', 'countExported', 'countExportedFailed', 'countEscrowed'],
    properties: {
      activityIdentifier: { type: 'string', format: 'uuid', description: 'The cycle id (cycleId in the provisioning logs).' },
      timeBegan: { type: 'string', format: 'date-time' },
      timeEnded: { ...nullableString, format: 'date-time' },
      state: { type: 'string', enum: ['Succeeded', 'EntryLevelErrors', 'InProgress'] },
      countImported: { type: 'integer', description: 'Operations evaluated.' },
      countExported: { type: 'integer', description: 'Operations that changed the directory.' },
      countExportedFailed: { type: 'integer' },
      countEscrowed: { type: 'integer', description: 'Failed operations counted against the failure threshold.' }
    }
  },
  {
    $id: 'SynchronizationStatus',
    type: 'object',
    required: ['code', 'quarantine', 'lastExecution', 'lastSuccessfulExecution', 'steadyStateLastAchievedTime', 'synchronizedEntryCountByType'],
    properties: {
      code: { type: 'string', enum: ['NotConfigured', 'NotRun', 'Active', 'Paused', 'Quarantine'] },
      quarantine: {
        type: ['object', 'null'],
        description: 'Why the job is quarantined and how to get out; kept through a pause.',
        required: ['currentBegan', 'seriesBegan', 'seriesCount', 'reason', 'error'],
        properties: {
          currentBegan: { type: 'string', format: 'date-time' },
          seriesBegan: { type: 'string', format: 'date-time' },
          seriesCount: { type: 'integer' },
          reason: { type: 'string', enum: ['EncounteredQuarantineException', 'TooManyDeletes', 'EncounteredEscrowProportionThreshold'] },
          error: {
            type: 'object',
            required: ['code', 'message', 'tenantActionable'],
            properties: { code: { type: 'string' }, message: { type: 'string' }, tenantActionable: { type: 'boolean' } }
          }
        }
      },
      lastExecution: { $ref: 'SynchronizationExecution#' },
      lastSuccessfulExecution: { $ref: 'SynchronizationExecution#' },
      steadyStateLastAchievedTime: { ...nullableString, format: 'date-time', description: 'When the queue last ran dry.' },
      synchronizedEntryCountByType: {
        type: 'array',
        items: { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: { type: 'integer' } } }
      }
    }
  },
  {
    $id: 'AttributeMappingSource',
    type: 'object',
    description: 'A parsed expression, as Graph shows one: a function with its named parameters, an attribute, or a constant.',
    required: ['type', 'name', 'expression', 'parameters'],
    properties: {
      type: { type: 'string', enum: ['Function', 'Attribute', 'Constant'] },
      name: nullableString,
      expression: nullableString,
      parameters: { type: 'array', items: { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: { $ref: 'AttributeMappingSource#' } } } }
    }
  },
  {
    $id: 'ServicePrincipal',
    type: 'object',
    required: ['id', 'displayName', 'templateId', 'directoryId', 'owners', 'job'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      displayName: { type: 'string' },
      templateId: { type: 'string', enum: ['API2AAD', 'API2AD'] },
      directoryId: { type: 'string', format: 'uuid' },
      owners: { type: 'array', items: { type: 'string' }, description: 'Client ids that may upload with SynchronizationData-User.Upload.OwnedBy.' },
      job: { $ref: 'SynchronizationJob#' }
    }
  },
  {
    $id: 'User',
    type: 'object',
    description: 'A user of an entra directory, with Graph attribute names.',
    properties: {
      id: { type: 'string', format: 'uuid' },
      employeeId: nullableString,
      userPrincipalName: nullableString,
      mailNickname: nullableString,
      displayName: nullableString,
      givenName: nullableString,
      surname: nullableString,
      mail: nullableString,
      accountEnabled: { type: 'boolean' },
      jobTitle: nullableString,
      department: nullableString,
      companyName: nullableString,
      city: nullableString,
      state: nullableString,
      country: nullableString,
      streetAddress: nullableString,
      postalCode: nullableString,
      mobilePhone: nullableString,
      businessPhones: { type: 'array', items: { type: 'string' } },
      employeeType: nullableString,
      manager: { type: ['object', 'null'], properties: { id: { type: 'string', format: 'uuid' } } },
      createdDateTime: { type: 'string', format: 'date-time' },
      lastModifiedDateTime: { type: 'string', format: 'date-time' },
      deletedDateTime: { type: ['string', 'null'], format: 'date-time' }
    }
  },
  {
    $id: 'BulkUploadStatus',
    type: 'object',
    description: 'One accepted bulk request and what happened to each of its operations.',
    required: ['id', 'state', 'receivedDateTime', 'completedDateTime', 'operations'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      jobId: { type: 'string' },
      state: { type: 'string', enum: ['queued', 'processing', 'completed', 'purged'] },
      receivedDateTime: { type: 'string', format: 'date-time' },
      completedDateTime: { type: ['string', 'null'], format: 'date-time' },
      operationCount: { type: 'integer' },
      operations: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'method', 'externalId', 'action', 'status'],
          properties: {
            index: { type: 'integer' },
            bulkId: nullableString,
            method: { type: 'string', enum: ['POST', 'DELETE'] },
            externalId: nullableString,
            action: { type: ['string', 'null'], enum: ['create', 'update', 'delete', 'disable', 'stagedDelete', 'other', null] },
            status: { type: 'string', enum: ['pending', 'success', 'failure', 'skipped', 'warning', 'purged'] },
            errorCode: nullableString,
            reason: nullableString,
            targetId: { type: ['string', 'null'], format: 'uuid' },
            logId: { type: ['string', 'null'], format: 'uuid' }
          }
        }
      }
    }
  }
] as const

export function registerSharedSchemas (app: FastifyInstance): void {
  for (const schema of [...sharedSchemas, AD_USER_SCHEMA, PROVISIONING_OBJECT_SUMMARY_SCHEMA]) app.addSchema(schema)
}

export const errorResponses = (...codes: number[]): Record<number, unknown> =>
  Object.fromEntries(codes.map(code => [code, { $ref: 'GraphError#', description: ERROR_DESCRIPTIONS[code] ?? 'Error' }]))

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: what was wrong and where.',
  401: 'The bearer token is missing, invalid or expired.',
  403: 'The token lacks the required role.',
  404: 'No such resource.',
  409: 'The job\'s state does not allow this; the message says what does.',
  413: 'The request exceeds a limit of the job (operations or bytes); the message names the limit.',
  415: 'Content-Type must be application/scim+json or application/json.',
  429: 'Over the job\'s upload rate (maxRequestsPerSecond); the Retry-After header says when to retry.'
}
