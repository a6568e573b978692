import type { FastifyInstance } from 'fastify'
import { recordAudit } from '../../audit/audit-log.js'
import { JobStateConflict, pauseJob, RESET_SCOPES, restartJob, startJob, type ResetScope } from '../../jobs/lifecycle.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError } from '../graph-error.js'
import { jobParams, requireJob, type JobParams } from '../job-routes.js'
import { errorResponses } from '../schemas.js'

const RESET_SCOPE_PATTERN = `^\\s*(${RESET_SCOPES.join('|')})(\\s*,\\s*(${RESET_SCOPES.join('|')}))*\\s*$`

/** Start, pause and restart: the operator's controls of a job, each audited. */
export default async function jobControlRoutes (app: FastifyInstance): Promise<void> {
  const controlSchema = (operationId: string, summary: string, description: string, body?: object): object => ({
    tags: ['provisioning jobs'],
    summary,
    operationId,
    description: `${description} Role Synchronization.ReadWrite.All.`,
    params: jobParams,
    ...(body === undefined ? {} : { body }),
    response: { 204: { type: 'null', description: 'Done.' }, ...errorResponses(400, 401, 403, 404, 409) }
  })

  app.post<{ Params: JobParams }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/start', {
    schema: controlSchema('startSynchronizationJob', 'Start a provisioning job',
      'Waiting and future bulk requests are processed in acceptance order. Without a notification email the job enters quarantine ' +
      '(EncounteredQuarantineException / NotificationEmailMissing) instead; starting again once the email is set clears it. ' +
      'Starting an active job changes nothing. A job quarantined for another reason answers 409: a restart clears it.'),
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async (request, reply) => {
    const job = await requireJob(app, request.params)
    const result = await audited(app, request.principal.clientId, job.id, 'Start synchronization job', () => startJob(app.db, job.id, request.principal.clientId))
    await app.queues.applyJobState(job.id, result.after === 'Active').catch(err => request.log.warn({ err }, 'queue unreachable; workers apply the job state on their next sweep'))
    return reply.code(204).send()
  })

  app.post<{ Params: JobParams }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/pause', {
    schema: controlSchema('pauseSynchronizationJob', 'Pause a provisioning job',
      'The batch in progress finishes; later requests are accepted and wait until the job is started again. A quarantine is kept. Pausing a paused job changes nothing.'),
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async (request, reply) => {
    const job = await requireJob(app, request.params)
    await audited(app, request.principal.clientId, job.id, 'Pause synchronization job', () => pauseJob(app.db, job.id))
    await app.queues.applyJobState(job.id, false).catch(err => request.log.warn({ err }, 'queue unreachable; workers apply the job state on their next sweep'))
    return reply.code(204).send()
  })

  app.post<{ Params: JobParams, Body: { criteria?: { resetScope?: string } } | null }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/restart', {
    schema: controlSchema('restartSynchronizationJob', 'Restart a provisioning job',
      'Purges the requests waiting (state purged, visible in their status and counted in the statistics), clears quarantine and escrows, ' +
      'and begins a new cycle; the job then runs (or, still without a notification email, is quarantined again). ' +
      'Deletes and disables staged by the delete threshold are applied with resetScope ForceDeletes and discarded otherwise. ' +
      'With Full (the default), every live user whose last record came through this job has that record mapped again with the job\'s current schema, after what waits; only real changes are logged. ' +
      'resetScope takes Graph\'s values, comma-separated; the others are accepted and recorded in the audit log.', {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: {
          criteria: {
            type: 'object',
            additionalProperties: false,
            properties: { resetScope: { type: 'string', maxLength: 200, pattern: RESET_SCOPE_PATTERN, description: `Comma-separated: ${RESET_SCOPES.join(', ')}.` } }
          }
        }
      }),
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async (request, reply) => {
    const job = await requireJob(app, request.params)
    const scopes = (request.body?.criteria?.resetScope ?? 'Full').split(',').map(scope => scope.trim()) as ResetScope[]
    const result = await audited(app, request.principal.clientId, job.id, 'Restart synchronization job',
      () => restartJob(app.db, job.id, scopes, request.principal.clientId),
      restarted => [
        { key: 'resetScope', value: scopes.join(',') },
        { key: 'purgedRequests', value: String(restarted.purgedRequests) },
        { key: 'purgedOperations', value: String(restarted.purgedOperations) },
        { key: 'stagedApplied', value: String(restarted.staged.applied) },
        { key: 'stagedDiscarded', value: String(restarted.staged.discarded) },
        { key: 'stagedSuperseded', value: String(restarted.staged.superseded) },
        { key: 'usersReevaluated', value: String(restarted.resync.users) }
      ])
    await app.queues.applyJobState(job.id, result.after === 'Active').catch(err => request.log.warn({ err }, 'queue unreachable; workers apply the job state on their next sweep'))
    // One queue item reaches the whole re-evaluation: the worker takes what waits, in order, up to it.
    const last = result.resync.requestIds.at(-1)
    if (last !== undefined) {
      await app.queues.enqueue({ requestId: last, jobId: job.id, acceptedAt: Date.now() })
        .catch(err => request.log.warn({ err }, 'queue unreachable; the sweeper enqueues the re-evaluation'))
    }
    return reply.code(204).send()
  })

  app.post<{ Params: JobParams }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/provisionOnDemand', {
    schema: {
      tags: ['provisioning jobs'],
      summary: 'Provision on demand (not supported)',
      operationId: 'provisionOnDemand',
      description: 'Answers 400: API-driven provisioning has no source to pull one user from. Send the user in a bulk request instead; its status resource shows the outcome within milliseconds.',
      params: jobParams,
      response: errorResponses(400, 401, 403, 404)
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async request => {
    await requireJob(app, request.params)
    throw new GraphError(400, 'ProvisionOnDemandNotSupported',
      'Provision on demand is not supported for API-driven provisioning: the service has no source to read a user from. ' +
      'POST the user in a bulk request (…/bulkUpload); its status resource (the Location header) shows the outcome as soon as it is applied.')
  })
}

/** Runs a transition and records it in the audit log, as a success or, for a refused one, a failure (then answered 409). */
async function audited<T extends { before: string, after: string }> (app: FastifyInstance, clientId: string, jobId: string, activity: string,
  transition: () => Promise<T>, details: (result: T) => Array<{ key: string, value: string }> = () => []): Promise<T> {
  const entry = { activity, category: 'ProvisioningManagement' as const, operationType: 'Update' as const, initiatedBy: clientId, target: { type: 'SynchronizationJob' as const, id: jobId }, jobId }
  try {
    const result = await transition()
    await recordAudit(app.db, { ...entry, result: 'success', modifiedProperties: [{ displayName: 'status.code', oldValue: result.before, newValue: result.after }], additionalDetails: details(result) })
    return result
  } catch (err) {
    if (!(err instanceof JobStateConflict)) throw err
    await recordAudit(app.db, { ...entry, result: 'failure', resultReason: err.message })
    throw new GraphError(409, 'Conflict', err.message)
  }
}
