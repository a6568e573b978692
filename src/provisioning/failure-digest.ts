import type { DbClient } from '../db/pool.js'
import { failureDigestNotification } from '../notifications/messages.js'
import { enqueueNotification } from '../notifications/outbox.js'
import type { CycleState } from './cycles.js'

const LISTED_FAILURES = 50

/** With sendEmailOnFailure, a cycle that ended with failures leaves a digest in the outbox. */
export async function enqueueFailureDigestIfDue (client: DbClient, jobId: string, cycle: CycleState): Promise<void> {
  const recipient = cycle.settings.notificationEmail
  if (!cycle.settings.sendEmailOnFailure || recipient === null || cycle.failures === 0) return
  // Bounded by the cycle's start so the job's time index finds the rows; with a margin,
  // because entries are stamped by the worker's clock and the cycle by the database's.
  const { rows } = await client.query(
    `SELECT source_id, error_code, reason FROM provisioning_logs
     WHERE job_id = $1 AND activity_at >= (SELECT began_at - interval '5 minutes' FROM sync_cycles WHERE id = $2) AND cycle_id = $2 AND status = 'failure'
     ORDER BY activity_at, id LIMIT $3`, [jobId, cycle.cycleId, LISTED_FAILURES])
  await enqueueNotification(client, failureDigestNotification({
    jobId,
    servicePrincipalId: cycle.servicePrincipalId,
    recipient,
    cycleId: cycle.cycleId,
    failures: rows.map(row => ({ externalId: row.source_id, errorCode: row.error_code, reason: row.reason })),
    totalFailures: cycle.failures
  }))
}
