import type { BulkOperation } from '../scim/types.js'
import type { OperationOutcome, ProvisioningStep } from './outcome.js'

/* The pieces every applier writes its outcomes with, whatever the directory. */

/** The outcome of an operation before it is applied: imported, nothing else yet. */
export function newOutcome (op: BulkOperation, mapped: { attributes: { userPrincipalName?: string | null } }): OperationOutcome {
  const sourceName = typeof op.data.displayName === 'string' ? op.data.displayName : (mapped.attributes.userPrincipalName ?? null)
  return {
    operationIndex: op.index,
    bulkId: op.bulkId,
    method: op.method,
    externalId: op.data.externalId,
    sourceDisplayName: sourceName,
    action: 'other',
    status: 'success',
    errorCode: null,
    reason: null,
    targetId: null,
    targetDisplayName: null,
    modifiedProperties: [],
    steps: [step('EntryImport', 'import', 'success', `Received user '${op.data.externalId}' (${op.method}) from the API.`)]
  }
}

export function succeed (outcome: OperationOutcome, user: { id: string, displayName?: string | null }, stepName: string, description: string): void {
  outcome.status = 'success'
  outcome.targetId = user.id
  outcome.targetDisplayName = user.displayName ?? null
  outcome.steps.push(step(stepName, 'export', 'success', description))
}

/** Fails the operation with an error code and reason; undefined, so appliers can `return fail(…)`. */
export function fail (outcome: OperationOutcome, errorCode: string, reason: string): undefined {
  outcome.status = 'failure'
  outcome.errorCode = errorCode
  outcome.reason = reason
  outcome.steps.push(step('EntryExport', 'export', 'failure', reason))
  return undefined
}

export function step (name: string, type: ProvisioningStep['provisioningStepType'], status: ProvisioningStep['status'], description: string): ProvisioningStep {
  return { name, provisioningStepType: type, status, description }
}
