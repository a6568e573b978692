import type { FastifyInstance } from 'fastify'

/**
 * Shapes shared by routes, registered once by `$id` so handlers validate and serialize with
 * them and openapi.yaml names them as components.
 */
const nullableString = { type: ['string', 'null'] } as const

export const sharedSchemas = [
  {
    $id: 'GraphError',
    type: 'object',
    description: 'Graph-shaped error. `details` names each problem, with `target` a JSON pointer and, for bulk requests, the operation `index` and `bulkId`.',
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
                limit: { type: 'integer' }
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
      domains: { type: 'array', items: { type: 'string' }, description: 'Verified domains; the first is the default domain.' },
      createdDateTime: { type: 'string', format: 'date-time' }
    }
  },
  {
    $id: 'JobSettings',
    type: 'object',
    properties: {
      notificationEmail: { ...nullableString, description: 'Where quarantine and failure notifications go.' },
      maxOperations: { type: 'integer', minimum: 1, maximum: 10000, description: 'Most operations one bulk request may carry (default 1,000).' },
      maxPayloadBytes: { type: 'integer', minimum: 1024, maximum: 52428800, description: 'Largest bulk request body in bytes (default 5 MiB).' }
    }
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
      status: {
        type: 'object',
        required: ['code'],
        properties: {
          code: { type: 'string', enum: ['NotConfigured', 'NotRun', 'Active', 'Paused', 'Quarantine'] }
        }
      },
      settings: { $ref: 'JobSettings#' }
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
  for (const schema of sharedSchemas) app.addSchema(schema)
}

export const errorResponses = (...codes: number[]): Record<number, unknown> =>
  Object.fromEntries(codes.map(code => [code, { $ref: 'GraphError#', description: ERROR_DESCRIPTIONS[code] ?? 'Error' }]))

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: what was wrong and where.',
  401: 'The bearer token is missing, invalid or expired.',
  403: 'The token lacks the required role.',
  404: 'No such resource.',
  413: 'The request exceeds a limit of the job (operations or bytes); the message names the limit.',
  415: 'Content-Type must be application/scim+json or application/json.'
}
