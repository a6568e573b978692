import type { FastifyInstance } from 'fastify'
import { recordAudit } from '../../audit/audit-log.js'
import { updateSettings } from '../../jobs/repository.js'
import { JOB_SETTINGS_PROPERTIES, type JobSettings } from '../../jobs/settings.js'
import { ROLES } from '../plugins/auth.js'
import { jobParams, requireJob, type JobParams } from '../job-routes.js'
import { errorResponses } from '../schemas.js'

export default async function jobSettingsRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: JobParams }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/settings', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "Read a job's settings",
      operationId: 'getSynchronizationJobSettings',
      description: 'Every setting, defaults included. Role Synchronization.ReadWrite.All or Synchronization.Read.All.',
      params: jobParams,
      response: { 200: { $ref: 'JobSettings#', description: 'The settings.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => (await requireJob(app, request.params)).settings)

  app.patch<{ Params: JobParams, Body: Partial<JobSettings> }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/settings', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "Change a job's settings",
      operationId: 'updateSynchronizationJobSettings',
      description: 'Only the settings sent change; the change is recorded in the audit log with old and new values. Role Synchronization.ReadWrite.All.',
      params: jobParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: JOB_SETTINGS_PROPERTIES },
      response: { 204: { type: 'null', description: 'Saved.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async (request, reply) => {
    const job = await requireJob(app, request.params)
    await updateSettings(app.db, job.id, request.body)
    const changed = Object.entries(request.body).filter(([name, value]) => job.settings[name as keyof JobSettings] !== value)
    await recordAudit(app.db, {
      activity: 'Update synchronization job settings',
      category: 'ProvisioningManagement',
      operationType: 'Update',
      initiatedBy: request.principal.clientId,
      target: { type: 'SynchronizationJob', id: job.id },
      jobId: job.id,
      result: 'success',
      modifiedProperties: changed.map(([name, value]) => ({ displayName: name, oldValue: display(job.settings[name as keyof JobSettings]), newValue: display(value) }))
    })
    // The upload path caches job settings for a second; other API processes see the change by then.
    app.jobLookup.forget(job.servicePrincipalId, job.id)
    return reply.code(204).send()
  })
}

function display (value: unknown): string | null {
  return value === null || value === undefined ? null : String(value)
}
