import type { ProvisioningStep } from '../provisioning/outcome.js'

/** How a log entry stores its steps: `[name, type, status, description]`, details appended when present. */
export type StoredSteps = Array<[string, ProvisioningStep['provisioningStepType'], ProvisioningStep['status'], string, Record<string, string>?]>

/**
 * Every entry has three or more steps; spelled out as Graph objects their keys alone are a
 * tenth of the entry. Tuples carry the same in order; readers turn them back into Graph's shape.
 */
export function storeSteps (steps: ProvisioningStep[]): StoredSteps {
  return steps.map(step => step.details === undefined
    ? [step.name, step.provisioningStepType, step.status, step.description]
    : [step.name, step.provisioningStepType, step.status, step.description, step.details])
}

export function readSteps (stored: StoredSteps): ProvisioningStep[] {
  return stored.map(([name, provisioningStepType, status, description, details]) =>
    details === undefined ? { name, provisioningStepType, status, description } : { name, provisioningStepType, status, description, details })
}
