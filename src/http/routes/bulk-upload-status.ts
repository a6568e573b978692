import type { FastifyInstance } from 'fastify'
import { getJob } from '../../jobs/repository.js'
import { getRequestStatus } from '../../ingest/request-status.js'
import { assertJobAccess } from '../job-access.js'
import { notFound } from '../graph-error.js'
import { ROLES } from '../plugins/auth.js'
import { errorResponses } from '../schemas.js'

export default async function bulkUploadStatusRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: { spId: string, jobId: string, requestId: string } }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/bulkUploads/:requestId', {
    schema: {
      tags: ['bulk upload'],
      summary: 'Status of one bulk request',
      operationId: 'getBulkUpload',
      description: 'Where the request is (queued, processing, completed, purged) and, per operation, the action taken, its status, the error and the target user. ' +
        'Readable by the uploader (SynchronizationData-User.Upload or, for owners, …Upload.OwnedBy) and by Synchronization.Read(Write).All, ProvisioningLog.Read.All or AuditLog.Read.All.',
      params: {
        type: 'object',
        required: ['spId', 'jobId', 'requestId'],
        properties: { spId: { type: 'string', format: 'uuid' }, jobId: { type: 'string', minLength: 1, maxLength: 200 }, requestId: { type: 'string', format: 'uuid' } }
      },
      response: { 200: { $ref: 'BulkUploadStatus#' }, ...errorResponses(400, 401, 403, 404) }
    },
    onRequest: async request => { await app.authenticate(request) }
  }, async request => {
    const { spId, jobId, requestId } = request.params
    const job = await getJob(app.db, spId, jobId)
    if (job === undefined) throw notFound(`Provisioning job ${jobId}`)
    assertJobAccess(request, job, [ROLES.syncRead, ROLES.syncReadWrite, ROLES.provisioningLogRead, ROLES.auditLogRead])
    const status = await getRequestStatus(app.db, job.id, requestId)
    if (status === undefined) throw notFound(`Bulk request ${requestId}`)
    return status
  })
}
