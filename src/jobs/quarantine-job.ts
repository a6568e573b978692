import type { DbClient } from '../db/pool.js'
import { recordAudit } from '../audit/audit-log.js'
import { quarantineNotification } from '../notifications/messages.js'
import { enqueueNotification } from '../notifications/outbox.js'
import { enterQuarantine, type Quarantine, type QuarantineCause } from './quarantine.js'
import { JOB_CHANGES_CHANNEL } from './repository.js'
import type { JobSettings } from './settings.js'

export interface QuarantinedJob {
  id: string
  servicePrincipalId: string
  settings: JobSettings
  quarantine: Quarantine | null
}

/**
 * Puts a job in quarantine, in the caller's transaction: the reason is stored on the job,
 * the notification (once per reason and series) and the audit entry commit with it, and
 * every worker hears of the change. A paused job stays paused, its quarantine recorded.
 */
export async function quarantineJob (client: DbClient, job: QuarantinedJob, cause: QuarantineCause, initiatedBy: string | null): Promise<Quarantine> {
  const quarantine = enterQuarantine(job.quarantine, cause, new Date())
  await client.query(
    `UPDATE sync_jobs SET quarantine = $2, status_code = CASE WHEN status_code = 'Paused' THEN 'Paused' ELSE 'Quarantine' END, updated_at = now()
     WHERE id = $1`, [job.id, JSON.stringify(quarantine)])
  if (job.settings.notificationEmail !== null) {
    await enqueueNotification(client, quarantineNotification({
      jobId: job.id,
      servicePrincipalId: job.servicePrincipalId,
      recipient: job.settings.notificationEmail,
      reason: quarantine.reason,
      errorCode: quarantine.errorCode,
      message: quarantine.message,
      began: new Date(quarantine.seriesBegan)
    }))
  }
  await recordAudit(client, {
    activity: 'Quarantine synchronization job',
    category: 'ProvisioningManagement',
    operationType: 'Update',
    initiatedBy,
    target: { type: 'SynchronizationJob', id: job.id },
    jobId: job.id,
    result: 'success',
    resultReason: quarantine.message,
    additionalDetails: [{ key: 'reason', value: quarantine.reason }, { key: 'errorCode', value: quarantine.errorCode }]
  })
  await client.query('SELECT pg_notify($1, $2)', [JOB_CHANGES_CHANNEL, job.id])
  return quarantine
}
