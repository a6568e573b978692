/** Graph's provisioningAction and provisioningStatusInfo.status values. */
export type ProvisioningAction = 'create' | 'update' | 'delete' | 'disable' | 'stagedDelete' | 'other'
export type ProvisioningStatus = 'success' | 'failure' | 'skipped' | 'warning'

export interface ModifiedProperty {
  displayName: string
  oldValue: string | null
  newValue: string | null
}

export interface ProvisioningStep {
  name: string
  provisioningStepType: 'import' | 'scoping' | 'matching' | 'processing' | 'referenceResolution' | 'export'
  status: ProvisioningStatus
  description: string
  details?: Record<string, string>
}

/** What happened to one operation (or, for reference resolution, to one report). */
export interface OperationOutcome {
  operationIndex: number
  bulkId?: string
  method: 'POST' | 'DELETE' | null
  externalId: string | null
  sourceDisplayName: string | null
  action: ProvisioningAction
  status: ProvisioningStatus
  errorCode: string | null
  reason: string | null
  targetId: string | null
  targetDisplayName: string | null
  modifiedProperties: ModifiedProperty[]
  steps: ProvisioningStep[]
  /** Not logged or counted: a full restart's re-evaluation that changed nothing. */
  quiet?: boolean
}
