import type { NewNotification } from './outbox.js'

const LISTED_FAILURES = 50

function jobPath (servicePrincipalId: string, jobId: string): string {
  return `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${jobId}`
}

/** Entering quarantine: once per reason and quarantine series (the key carries both). */
export function quarantineNotification (input: { jobId: string, servicePrincipalId: string, recipient: string, reason: string, errorCode: string, message: string, began: Date }): NewNotification {
  const path = jobPath(input.servicePrincipalId, input.jobId)
  return {
    jobId: input.jobId,
    kind: 'quarantine',
    dedupeKey: `quarantine:${input.jobId}:${input.errorCode}:${input.began.toISOString()}`,
    recipient: input.recipient,
    subject: `Provisioning job quarantined (${input.errorCode}): ${input.jobId}`,
    body: [
      `The provisioning job ${input.jobId} was quarantined at ${input.began.toISOString()}.`,
      '',
      `Reason: ${input.reason} (${input.errorCode})`,
      '',
      input.message,
      '',
      `The job: GET ${path}`,
      `Its statistics: GET ${path}/statistics`,
      `To restart it: POST ${path}/restart`
    ].join('\n')
  }
}

/** A cycle that ended with failures, when the job's sendEmailOnFailure is on: once per cycle. */
export function failureDigestNotification (input: {
  jobId: string
  servicePrincipalId: string
  recipient: string
  cycleId: string
  failures: Array<{ externalId: string | null, errorCode: string | null, reason: string | null }>
  totalFailures: number
}): NewNotification {
  const listed = input.failures.slice(0, LISTED_FAILURES)
  const more = input.totalFailures - listed.length
  return {
    jobId: input.jobId,
    kind: 'failureDigest',
    dedupeKey: `failureDigest:${input.jobId}:${input.cycleId}`,
    recipient: input.recipient,
    subject: `Provisioning job ${input.jobId}: ${input.totalFailures} failed operation${input.totalFailures === 1 ? '' : 's'} in cycle ${input.cycleId}`,
    body: [
      `${input.totalFailures} operation${input.totalFailures === 1 ? '' : 's'} of the provisioning job ${input.jobId} failed in cycle ${input.cycleId}.`,
      '',
      ...listed.map(failure => `- ${failure.externalId ?? '(no externalId)'}: ${failure.errorCode ?? 'error'} — ${failure.reason ?? ''}`),
      ...(more > 0 ? [`… and ${more} more.`] : []),
      '',
      `Each failure is in the provisioning log (cycleId ${input.cycleId}) and in the status of its bulk request.`,
      `The job: GET ${jobPath(input.servicePrincipalId, input.jobId)}`
    ].join('\n')
  }
}
