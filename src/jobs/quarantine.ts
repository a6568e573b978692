/** Graph's synchronizationQuarantine reasons the service uses. */
export type QuarantineReason = 'EncounteredQuarantineException' | 'TooManyDeletes' | 'EncounteredEscrowProportionThreshold'

/** What is stored on the job while it is quarantined, and shown as `status.quarantine`. */
export interface Quarantine {
  reason: QuarantineReason
  errorCode: string
  /** Says what happened and how to get out. */
  message: string
  currentBegan: string
  seriesBegan: string
  /** How many times this quarantine was entered again without being cleared. */
  seriesCount: number
}

export type QuarantineCause =
  | { kind: 'notificationEmailMissing' }
  | { kind: 'tooManyDeletes', threshold: number, applied: number, staged: number }
  | { kind: 'failureProportion', failures: number, evaluated: number, percent: number, minimum: number }

export function describeQuarantine (cause: QuarantineCause): Pick<Quarantine, 'reason' | 'errorCode' | 'message'> {
  switch (cause.kind) {
    case 'notificationEmailMissing':
      return {
        reason: 'EncounteredQuarantineException',
        errorCode: 'NotificationEmailMissing',
        message: 'The job was started without a notification email, so nobody would hear about its problems. ' +
          'Set one (PATCH …/settings with {"notificationEmail": "…"}), then start or restart the job. Uploads are accepted meanwhile and wait.'
      }
    case 'tooManyDeletes':
      return {
        reason: 'TooManyDeletes',
        errorCode: 'TooManyDeletes',
        message: `This cycle would delete or disable more than ${cause.threshold} users (deleteThreshold): ${cause.applied} were applied, ` +
          `${cause.staged} more are staged and were not applied (logged as stagedDelete). If they are intended, restart the job with ` +
          '{"criteria":{"resetScope":"ForceDeletes"}} to apply them; otherwise correct the source and restart (staged deletes are then discarded), ' +
          'or raise deleteThreshold. Uploads are accepted meanwhile and wait.'
      }
    case 'failureProportion':
      return {
        reason: 'EncounteredEscrowProportionThreshold',
        errorCode: 'EncounteredEscrowProportionThreshold',
        message: `${cause.failures} of the ${cause.evaluated} operations of this cycle failed (${Math.round(cause.failures * 1000 / cause.evaluated) / 10} %), ` +
          `above failureThresholdPercent (${cause.percent} %) after at least ${cause.minimum} operations. ` +
          'Read the failures in the provisioning logs (or the bulk requests\' status), fix the source data or the directory, then restart the job. ' +
          'Uploads are accepted meanwhile and wait.'
      }
  }
}

/** The quarantine to store when `cause` is found; a repeat of the same reason continues its series. */
export function enterQuarantine (previous: Quarantine | null, cause: QuarantineCause, now: Date): Quarantine {
  const description = describeQuarantine(cause)
  const continues = previous !== null && previous.errorCode === description.errorCode
  return {
    ...description,
    currentBegan: now.toISOString(),
    seriesBegan: continues ? previous.seriesBegan : now.toISOString(),
    seriesCount: continues ? previous.seriesCount + 1 : 1
  }
}
