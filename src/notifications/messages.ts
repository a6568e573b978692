import type { NewNotification } from './outbox.js'

/** A digest lists this many failures and counts the rest, so one bad cycle cannot make a huge mail. */
const LISTED_FAILURES = 50

export interface QuarantineNotificationInput {
  jobId: string
  servicePrincipalId: string
  recipient: string
  reason: string
  errorCode: string
  /** What happened and how to get out of quarantine, as the job's status says it. */
  message: string
  /** When this quarantine episode began. */
  began: Date
}

export interface FailureDigestInput {
  jobId: string
  servicePrincipalId: string
  recipient: string
  cycleId: string
  failures: Array<{ externalId: string | null, errorCode: string | null, reason: string | null }>
  totalFailures: number
}

const jobPath = (servicePrincipalId: string, jobId: string): string => `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${jobId}`

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`

/** Entering quarantine: the key makes it once per reason and quarantine episode. */
export function quarantineNotification (input: QuarantineNotificationInput): NewNotification {
  const path = jobPath(input.servicePrincipalId, input.jobId)
  const began = input.began.toISOString()
  return {
    jobId: input.jobId,
    kind: 'quarantine',
    dedupeKey: `quarantine:${input.jobId}:${input.errorCode}:${began}`,
    recipient: input.recipient,
    subject: `Provisioning job quarantined (${input.errorCode}): ${input.jobId}`,
    body: [
      `The provisioning job ${input.jobId} has been in quarantine since ${began}.`,
      '',
      `Reason: ${input.reason} (${input.errorCode})`,
      '',
      input.message,
      '',
      `The job and its status: GET ${path}`,
      `Its statistics: GET ${path}/statistics`,
      `To restart it: POST ${path}/restart`
    ].join('\n')
  }
}

/** A processing cycle that ended with failures, for a job with sendEmailOnFailure: once per cycle. */
export function failureDigestNotification (input: FailureDigestInput): NewNotification {
  const listed = input.failures.slice(0, LISTED_FAILURES)
  const unlisted = input.totalFailures - listed.length
  return {
    jobId: input.jobId,
    kind: 'failureDigest',
    dedupeKey: `failureDigest:${input.jobId}:${input.cycleId}`,
    recipient: input.recipient,
    subject: `Provisioning job ${input.jobId}: ${plural(input.totalFailures, 'failed operation')}`,
    body: [
      `${plural(input.totalFailures, 'operation')} of the provisioning job ${input.jobId} failed in processing cycle ${input.cycleId}.`,
      '',
      ...listed.map(failureLine),
      ...(unlisted > 0 ? [`… and ${unlisted} more.`] : []),
      '',
      `Each failure is in the provisioning logs of cycle ${input.cycleId} and in the status of its bulk request; ` +
        'correct the source data (or the attribute mappings) and upload the users again.',
      `The job and its status: GET ${jobPath(input.servicePrincipalId, input.jobId)}`
    ].join('\n')
  }
}

function failureLine (failure: FailureDigestInput['failures'][number]): string {
  const what = [failure.errorCode, failure.reason].filter(part => part !== null && part !== '').join(': ')
  return `- ${failure.externalId ?? '(no externalId)'}: ${what === '' ? 'failed' : what}`
}
