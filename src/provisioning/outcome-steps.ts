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

/** Values that came through Redact are written, but the log shows [Redact] instead, as Entra's does. */
export function hideRedacted (outcome: OperationOutcome, redacted: readonly string[]): void {
  if (redacted.length === 0) return
  for (const property of outcome.modifiedProperties) {
    if (!redacted.includes(property.displayName)) continue
    if (property.newValue !== null) property.newValue = '[Redact]'
    if (property.oldValue !== null) property.oldValue = '[Redact]'
  }
}

/** A delete or disable held back by the cycle's delete threshold. */
export function stage (outcome: OperationOutcome, user: { id: string, displayName: string | null }, action: 'delete' | 'disable'): void {
  outcome.action = 'stagedDelete'
  outcome.status = 'skipped'
  outcome.targetId = user.id
  outcome.targetDisplayName = user.displayName
  outcome.reason = `The delete threshold of this cycle is reached: the ${action} was staged, not applied. ` +
    'A restart with resetScope ForceDeletes applies it; any other restart discards it.'
  outcome.steps.push(step('EntryExportSkipped', 'export', 'skipped', `Staged the ${action}: the delete threshold of this cycle is reached.`))
}

/** A matched user that already has every value the record maps to. */
export function skipUnchanged (outcome: OperationOutcome): undefined {
  outcome.action = 'other'
  outcome.status = 'skipped'
  outcome.reason = 'EntrySynchronizationSkipped: the user already has these values; nothing was written.'
  outcome.steps.push(step('EntryExportSkipped', 'export', 'skipped', 'No attribute changed.'))
  return undefined
}
