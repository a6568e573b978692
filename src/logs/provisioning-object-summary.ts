import type { LogJobContext } from './log-job-context.js'
import type { StoredLogEntry } from './log-query.js'
import { PROVISIONING_ACTIONS, PROVISIONING_STATUSES } from './log-fields.js'

/** Errors the service itself caused (as opposed to the record's data or the directory's rules). */
const SERVICE_ERRORS = new Set(['InternalError'])

const INITIATED_BY = { id: '', displayName: 'scim-inbound provisioning service', initiatorType: 'system' } as const

/**
 * A log entry as Graph's provisioningObjectSummary. The app stands for the source system (the
 * HR feed that uploads through it) and the job's directory for the target system. The source
 * identity's details carry the request and operation the entry is about, so an entry can be
 * matched with the request's status resource.
 */
export function toProvisioningObjectSummary (entry: StoredLogEntry, job: LogJobContext | undefined): Record<string, unknown> {
  const errorInformation = entry.errorCode === null && entry.reason === null
    ? null
    : {
        errorCode: entry.errorCode,
        reason: entry.reason,
        additionalDetails: null,
        errorCategory: entry.status !== 'failure' ? 'success' : SERVICE_ERRORS.has(entry.errorCode ?? '') ? 'failure' : 'nonServiceFailure',
        recommendedAction: null
      }
  const sourceDetails: Record<string, string> = { requestId: entry.requestId }
  if (entry.operationIndex >= 0) sourceDetails.operationIndex = String(entry.operationIndex)
  if (entry.bulkId !== null) sourceDetails.bulkId = entry.bulkId
  if (entry.method !== null) sourceDetails.method = entry.method
  return {
    id: entry.id,
    activityDateTime: entry.activityDateTime,
    jobId: entry.jobId,
    cycleId: entry.cycleId,
    changeId: entry.changeId,
    durationInMilliseconds: entry.durationMs,
    provisioningAction: entry.action,
    provisioningStatusInfo: { status: entry.status, errorInformation },
    sourceIdentity: { id: entry.sourceId, displayName: entry.sourceDisplayName, identityType: 'User', details: sourceDetails },
    targetIdentity: { id: entry.targetId, displayName: entry.targetDisplayName, identityType: 'User', details: {} },
    sourceSystem: { id: job?.servicePrincipalId ?? null, displayName: job?.servicePrincipalName ?? null, details: {} },
    targetSystem: { id: job?.directoryId ?? null, displayName: job?.directoryName ?? null, details: {} },
    servicePrincipal: { id: job?.servicePrincipalId ?? null, displayName: job?.servicePrincipalName ?? null },
    initiatedBy: INITIATED_BY,
    modifiedProperties: entry.modifiedProperties,
    provisioningSteps: entry.steps.map(step => ({ ...step, details: step.details ?? {} })),
    action: entry.action,
    statusInfo: {
      status: entry.status,
      errorCode: entry.errorCode,
      reason: entry.reason,
      additionalDetails: null,
      errorCategory: errorInformation?.errorCategory ?? null,
      recommendedAction: null
    }
  }
}

const nullableString = { type: ['string', 'null'] } as const
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const

const provisionedIdentity = (description: string): Record<string, unknown> => ({
  type: 'object',
  description,
  required: ['id', 'displayName', 'identityType', 'details'],
  properties: { id: nullableString, displayName: nullableString, identityType: { type: 'string', enum: ['User'] }, details: stringMap }
})

const provisioningSystem = (description: string): Record<string, unknown> => ({
  type: 'object',
  description,
  required: ['id', 'displayName', 'details'],
  properties: { id: { ...nullableString, format: 'uuid' }, displayName: nullableString, details: stringMap }
})

/** The response schema of one entry (registered as `ProvisioningObjectSummary`). */
export const PROVISIONING_OBJECT_SUMMARY_SCHEMA = {
  $id: 'ProvisioningObjectSummary',
  type: 'object',
  description: "One processed operation, as Graph's provisioningObjectSummary: what was done to which user, with what result, and every attribute changed.",
  required: ['id', 'activityDateTime', 'jobId', 'cycleId', 'changeId', 'durationInMilliseconds', 'provisioningAction', 'provisioningStatusInfo',
    'sourceIdentity', 'targetIdentity', 'sourceSystem', 'targetSystem', 'servicePrincipal', 'initiatedBy', 'modifiedProperties', 'provisioningSteps',
    'action', 'statusInfo'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    activityDateTime: { type: 'string', format: 'date-time', description: 'UTC, with microseconds; every entry of one processed batch has the same.' },
    tenantId: { type: 'string', description: 'Not tracked: never present.' },
    jobId: { type: 'string' },
    cycleId: { type: 'string', format: 'uuid', description: 'The processing cycle (activityIdentifier of the job\'s lastExecution).' },
    changeId: { type: 'string', format: 'uuid' },
    durationInMilliseconds: { type: 'integer', description: 'Of the batch the operation was applied in.' },
    provisioningAction: { type: 'string', enum: PROVISIONING_ACTIONS },
    provisioningStatusInfo: {
      type: 'object',
      required: ['status', 'errorInformation'],
      properties: {
        status: { type: 'string', enum: PROVISIONING_STATUSES },
        errorInformation: {
          type: ['object', 'null'],
          description: 'Present when the entry has an error code or a reason (a skip says why it skipped).',
          required: ['errorCode', 'reason', 'additionalDetails', 'errorCategory', 'recommendedAction'],
          properties: {
            errorCode: nullableString,
            reason: nullableString,
            additionalDetails: nullableString,
            errorCategory: { type: 'string', enum: ['failure', 'nonServiceFailure', 'success'], description: 'failure: the service failed (InternalError); nonServiceFailure: the record or the directory\'s rules; success: not a failure.' },
            recommendedAction: nullableString
          }
        }
      }
    },
    sourceIdentity: provisionedIdentity('The record: its externalId and displayName; details name the request, its operationIndex, bulkId and method.'),
    targetIdentity: provisionedIdentity('The directory user: its id and displayName; null id when none was created or matched.'),
    sourceSystem: provisioningSystem('The provisioning app the HR feed uploads through; null when the app has been deleted since.'),
    targetSystem: provisioningSystem('The target directory; null when the job has been deleted since.'),
    servicePrincipal: {
      type: 'object',
      required: ['id', 'displayName'],
      properties: { id: { ...nullableString, format: 'uuid' }, displayName: nullableString }
    },
    initiatedBy: {
      type: 'object',
      required: ['id', 'displayName', 'initiatorType'],
      properties: { id: { type: 'string' }, displayName: { type: 'string' }, initiatorType: { type: 'string', enum: ['system'] } }
    },
    modifiedProperties: {
      type: 'array',
      description: 'Every attribute written, old value to new value.',
      items: { type: 'object', required: ['displayName', 'oldValue', 'newValue'], properties: { displayName: { type: 'string' }, oldValue: nullableString, newValue: nullableString } }
    },
    provisioningSteps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'provisioningStepType', 'status', 'description', 'details'],
        properties: {
          name: { type: 'string' },
          provisioningStepType: { type: 'string', enum: ['import', 'scoping', 'matching', 'processing', 'referenceResolution', 'export'] },
          status: { type: 'string', enum: PROVISIONING_STATUSES },
          description: { type: 'string' },
          details: stringMap
        }
      }
    },
    action: { type: 'string', enum: PROVISIONING_ACTIONS, description: 'Deprecated (beta): the same as provisioningAction.' },
    statusInfo: {
      type: 'object',
      description: 'Deprecated (beta): provisioningStatusInfo flattened, as the beta statusDetails.',
      required: ['status', 'errorCode', 'reason', 'additionalDetails', 'errorCategory', 'recommendedAction'],
      properties: {
        status: { type: 'string', enum: PROVISIONING_STATUSES },
        errorCode: nullableString,
        reason: nullableString,
        additionalDetails: nullableString,
        errorCategory: { type: ['string', 'null'], enum: ['failure', 'nonServiceFailure', 'success', null] },
        recommendedAction: nullableString
      }
    }
  }
} as const
