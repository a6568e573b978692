import type { LogEntry } from '../logs/provisioning-log-writer.js'
import type { OperationOutcome } from './outcome.js'

export interface LinkedReport {
  id: string
  employeeId: string | null
  displayName: string | null
  managerId: string
  managerExternalId: string
}

/**
 * Log entries for reports that waited for a manager which arrived in this batch: each is
 * logged with the request whose operation brought its manager in.
 */
export function linkedReportEntries (linked: LinkedReport[], outcomes: OperationOutcome[], requestOfOperation: string[], fallbackRequestId: string, managerValue: (report: LinkedReport) => string = report => report.managerId): LogEntry[] {
  const requestOfUser = new Map<string, string>()
  outcomes.forEach((outcome, index) => { if (outcome.targetId !== null) requestOfUser.set(outcome.targetId, requestOfOperation[index]!) })
  return linked.map((report): LogEntry => ({
    requestId: requestOfUser.get(report.managerId) ?? fallbackRequestId,
    outcome: {
      operationIndex: -1,
      method: null,
      externalId: report.employeeId,
      sourceDisplayName: report.displayName,
      action: 'update',
      status: 'success',
      errorCode: null,
      reason: null,
      targetId: report.id,
      targetDisplayName: report.displayName,
      modifiedProperties: [{ displayName: 'manager', oldValue: null, newValue: managerValue(report) }],
      steps: [{ name: 'EntryReferenceResolution', provisioningStepType: 'referenceResolution', status: 'success', description: `Linked manager '${report.managerExternalId}', which arrived in this request.` }]
    }
  }))
}
