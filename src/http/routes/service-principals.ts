import type { FastifyInstance } from 'fastify'
import { recordAudit } from '../../audit/audit-log.js'
import { getDirectory } from '../../directory/repository.js'
import { createServicePrincipal, deleteServicePrincipal, getServicePrincipal, listJobs, notifyJobChange, type ServicePrincipal, type TemplateId } from '../../jobs/repository.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError, notFound } from '../graph-error.js'
import { jobParams, jobResource, requireJob, spParams, type JobParams } from '../job-routes.js'
import { errorResponses } from '../schemas.js'

/** The kind of directory each template provisions into. */
const TEMPLATE_DIRECTORY_KIND: Record<TemplateId, 'entra' | 'ad'> = { API2AAD: 'entra', API2AD: 'ad' }

/** Graph-shaped routes for provisioning apps and their jobs; registered with and without the /v1.0 and /beta prefixes. */
export default async function servicePrincipalRoutes (app: FastifyInstance): Promise<void> {
  const spResource = async (sp: ServicePrincipal): Promise<Record<string, unknown>> =>
    ({ id: sp.id, displayName: sp.displayName, templateId: sp.templateId, directoryId: sp.directoryId, owners: sp.owners, job: await jobResource(app.db, sp.job) })

  app.post<{ Body: { displayName: string, templateId: TemplateId, directoryId: string, owners?: string[] } }>('/servicePrincipals', {
    schema: {
      tags: ['provisioning apps'],
      summary: 'Create a provisioning app and its job',
      operationId: 'createServicePrincipal',
      description: 'Creates an app from a template and the provisioning job that writes into `directoryId`. The job starts as NotRun: uploads are accepted and wait until it is started. Recorded in the audit log. Role Synchronization.ReadWrite.All.',
      body: {
        type: 'object',
        required: ['displayName', 'templateId', 'directoryId'],
        additionalProperties: false,
        properties: {
          displayName: { type: 'string', minLength: 1, maxLength: 256 },
          templateId: { type: 'string', enum: ['API2AAD', 'API2AD'], description: 'API2AAD provisions into an entra directory, API2AD into an ad directory.' },
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
    if (TEMPLATE_DIRECTORY_KIND[templateId] !== directory.kind) {
      const fitting = Object.entries(TEMPLATE_DIRECTORY_KIND).find(([, kind]) => kind === directory.kind)![0]
      throw new GraphError(400, 'BadRequest', `templateId ${templateId} provisions into ${TEMPLATE_DIRECTORY_KIND[templateId]} directories, and directory ${directoryId} is an ${directory.kind} directory: use ${fitting}.`,
        [{ code: 'invalidValue', target: '/templateId', message: `${templateId} does not fit an ${directory.kind} directory; ${fitting} does` }])
    }
    const sp = await createServicePrincipal(app.db, { displayName, templateId, directoryId, owners })
    await recordAudit(app.db, {
      activity: 'Add service principal',
      category: 'ApplicationManagement',
      operationType: 'Add',
      initiatedBy: request.principal.clientId,
      target: { type: 'ServicePrincipal', id: sp.id, displayName: sp.displayName },
      jobId: sp.job.id,
      result: 'success',
      additionalDetails: [{ key: 'templateId', value: templateId }, { key: 'directoryId', value: directoryId }, { key: 'jobId', value: sp.job.id }]
    })
    await notifyJobChange(app.db, sp.job.id)
    return reply.code(201).send(await spResource(sp))
  })

  app.get<{ Params: { spId: string } }>('/servicePrincipals/:spId', {
    schema: {
      tags: ['provisioning apps'],
      summary: 'Read a provisioning app',
      operationId: 'getServicePrincipal',
      description: 'The app with its job. Role Synchronization.ReadWrite.All or Synchronization.Read.All.',
      params: spParams,
      response: { 200: { $ref: 'ServicePrincipal#', description: 'The app.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => {
    const sp = await getServicePrincipal(app.db, request.params.spId)
    if (sp === undefined) throw notFound(`Service principal ${request.params.spId}`)
    return await spResource(sp)
  })

  app.delete<{ Params: { spId: string } }>('/servicePrincipals/:spId', {
    schema: {
      tags: ['provisioning apps'],
      summary: 'Delete a provisioning app and its job',
      operationId: 'deleteServicePrincipal',
      description: 'Refused (409) while requests of its job wait: restart the job to purge them, or let them finish. The users it provisioned and its provisioning logs stay. Recorded in the audit log. Role Synchronization.ReadWrite.All.',
      params: spParams,
      response: {
        204: { type: 'null', description: 'Deleted.' },
        ...errorResponses(400, 401, 403, 404),
        409: { $ref: 'GraphError#', description: 'Requests of its job still wait; the message says how many.' }
      }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async (request, reply) => {
    const sp = await getServicePrincipal(app.db, request.params.spId)
    if (sp === undefined) throw notFound(`Service principal ${request.params.spId}`)
    const result = await deleteServicePrincipal(app.db, sp.id)
    const entry = {
      activity: 'Delete service principal',
      category: 'ApplicationManagement' as const,
      operationType: 'Delete' as const,
      initiatedBy: request.principal.clientId,
      target: { type: 'ServicePrincipal' as const, id: sp.id, displayName: sp.displayName },
      jobId: sp.job.id
    }
    if (typeof result === 'object') {
      const message = `${result.waiting} request(s) of its job are still waiting; restart the job to purge them (or let them finish), then delete the app.`
      await recordAudit(app.db, { ...entry, result: 'failure', resultReason: message })
      throw new GraphError(409, 'Conflict', message)
    }
    if (result === 'notFound') throw notFound(`Service principal ${sp.id}`)
    await recordAudit(app.db, { ...entry, result: 'success' })
    await notifyJobChange(app.db, sp.job.id)
    return reply.code(204).send()
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
    return { value: await Promise.all(jobs.map(job => jobResource(app.db, job))) }
  })

  app.get<{ Params: JobParams }>('/servicePrincipals/:spId/synchronization/jobs/:jobId', {
    schema: {
      tags: ['provisioning jobs'],
      summary: 'Read a provisioning job',
      operationId: 'getSynchronizationJob',
      description: 'The job as Graph shapes it: status code, quarantine (reason, error, how to get out), last and last successful execution (cycle), ' +
        'when the queue last ran dry, users provisioned, and settings. Role Synchronization.ReadWrite.All or Synchronization.Read.All.',
      params: jobParams,
      response: { 200: { $ref: 'SynchronizationJob#', description: 'The job.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => await jobResource(app.db, await requireJob(app, request.params)))
}
