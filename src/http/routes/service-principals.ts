import type { FastifyInstance } from 'fastify'
import { getDirectory } from '../../directory/repository.js'
import { createServicePrincipal, getJob, listJobs, notifyJobChange, setStatus, updateSettings, type SyncJob } from '../../jobs/repository.js'
import type { JobSettings } from '../../jobs/settings.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError, notFound } from '../graph-error.js'
import { errorResponses } from '../schemas.js'

const SCHEDULE_STATE: Record<SyncJob['statusCode'], string> = { NotConfigured: 'Disabled', NotRun: 'Disabled', Active: 'Active', Paused: 'Paused', Quarantine: 'Active' }

export function jobResource (job: SyncJob): Record<string, unknown> {
  return {
    id: job.id,
    templateId: job.templateId,
    servicePrincipalId: job.servicePrincipalId,
    directoryId: job.directoryId,
    schedule: { state: SCHEDULE_STATE[job.statusCode] },
    status: { code: job.statusCode },
    settings: job.settings
  }
}

const spParams = { type: 'object', required: ['spId'], properties: { spId: { type: 'string', format: 'uuid' } } } as const
const jobParams = {
  type: 'object',
  required: ['spId', 'jobId'],
  properties: { spId: { type: 'string', format: 'uuid' }, jobId: { type: 'string', minLength: 1, maxLength: 200 } }
} as const

interface JobParams { spId: string, jobId: string }

/** Graph-shaped routes for provisioning apps and their jobs; registered with and without the /v1.0 and /beta prefixes. */
export default async function servicePrincipalRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: { displayName: string, templateId: 'API2AAD', directoryId: string, owners?: string[] } }>('/servicePrincipals', {
    schema: {
      tags: ['provisioning apps'],
      summary: 'Create a provisioning app and its job',
      operationId: 'createServicePrincipal',
      description: 'Creates an app from a template and the provisioning job that writes into `directoryId`. The job starts as NotRun: uploads are accepted and wait until it is started. Role Synchronization.ReadWrite.All.',
      body: {
        type: 'object',
        required: ['displayName', 'templateId', 'directoryId'],
        additionalProperties: false,
        properties: {
          displayName: { type: 'string', minLength: 1, maxLength: 256 },
          templateId: { type: 'string', enum: ['API2AAD'], description: 'API2AAD provisions into an entra directory.' },
          directoryId: { type: 'string', format: 'uuid' },
          owners: { type: 'array', maxItems: 100, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 256 } }
        }
      },
      response: { 201: { $ref: 'ServicePrincipal#', description: 'Created, with its job.' }, ...errorResponses(400, 401, 403) }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async (request, reply) => {
    const { displayName, templateId, directoryId, owners = [] } = request.body
    const directory = await getDirectory(app.db, directoryId)
    if (directory === undefined) {
      throw new GraphError(400, 'BadRequest', `directoryId ${directoryId} does not exist; create it with POST /directories first.`, [{ code: 'invalidValue', target: '/directoryId', message: 'unknown directory' }])
    }
    const sp = await createServicePrincipal(app.db, { displayName, templateId, directoryId, owners })
    await notifyJobChange(app.db, sp.job.id)
    return reply.code(201).send({ id: sp.id, displayName: sp.displayName, templateId: sp.templateId, directoryId: sp.directoryId, owners: sp.owners, job: jobResource(sp.job) })
  })

  app.get<{ Params: { spId: string } }>('/servicePrincipals/:spId/synchronization/jobs', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "List an app's provisioning jobs",
      operationId: 'listSynchronizationJobs',
      params: spParams,
      response: {
        200: { 'x-response-description': "The app's jobs.", type: 'object', required: ['value'], properties: { value: { type: 'array', items: { $ref: 'SynchronizationJob#' } } } },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => {
    const jobs = await listJobs(app.db, request.params.spId)
    if (jobs.length === 0) throw notFound(`Service principal ${request.params.spId}`)
    return { value: jobs.map(jobResource) }
  })

  app.patch<{ Params: JobParams, Body: Partial<JobSettings> }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/settings', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "Change a job's settings",
      operationId: 'updateSynchronizationJobSettings',
      description: 'Only the settings sent change. Role Synchronization.ReadWrite.All.',
      params: jobParams,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          notificationEmail: { type: ['string', 'null'], format: 'email', maxLength: 320 },
          maxOperations: { type: 'integer', minimum: 1, maximum: 10000 },
          maxPayloadBytes: { type: 'integer', minimum: 1024, maximum: 52428800 }
        }
      },
      response: { 204: { type: 'null', description: 'Saved.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async (request, reply) => {
    const job = await getJob(app.db, request.params.spId, request.params.jobId)
    if (job === undefined) throw notFound(`Job ${request.params.jobId}`)
    await updateSettings(app.db, job.id, request.body)
    return reply.code(204).send()
  })

  const control = (action: 'start' | 'pause', summary: string, description: string): void => {
    app.post<{ Params: JobParams }>(`/servicePrincipals/:spId/synchronization/jobs/:jobId/${action}`, {
      schema: {
        tags: ['provisioning jobs'],
        summary,
        operationId: `${action}SynchronizationJob`,
        description,
        params: jobParams,
        response: { 204: { type: 'null', description: 'Done.' }, ...errorResponses(400, 401, 403, 404) }
      },
      preHandler: app.requireRoles([ROLES.syncReadWrite])
    }, async (request, reply) => {
      const job = await getJob(app.db, request.params.spId, request.params.jobId)
      if (job === undefined) throw notFound(`Job ${request.params.jobId}`)
      const active = action === 'start'
      await setStatus(app.db, job.id, active ? 'Active' : 'Paused')
      // Immediate for every worker process; workers also re-read the state on notification and on every sweep.
      await app.queues.applyJobState(job.id, active).catch(err => request.log.warn({ err }, 'queue unreachable; workers apply the job state on their next sweep'))
      await notifyJobChange(app.db, job.id)
      return reply.code(204).send()
    })
  }
  control('start', 'Start a provisioning job', 'Puts the job in listen mode: waiting and future bulk requests are processed in acceptance order. Role Synchronization.ReadWrite.All.')
  control('pause', 'Pause a provisioning job', 'The request in progress finishes; later ones are accepted and wait until the job is started again. Role Synchronization.ReadWrite.All.')
}
