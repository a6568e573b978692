import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import type { SyncJob } from '../../jobs/repository.js'
import { countOperations, validateBulkRequest } from '../../ingest/validate-bulk-request.js'
import { acceptBulkRequest } from '../../ingest/accept-bulk-request.js'
import { assertJobAccess } from '../job-access.js'
import { GraphError, notFound } from '../graph-error.js'
import { errorResponses } from '../schemas.js'
import { tooManyRequestsResponse } from '../plugins/client-rate-limit.js'
import { BULK_REQUEST_SCHEMA_ID } from '../../ingest/schema-ids.js'
import { recordOperationsAccepted } from '../../metrics/upload-metrics.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The job addressed by an upload, looked up before its body is read. */
    uploadJob: SyncJob
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ACCEPTED_MEDIA_TYPES = new Set(['application/scim+json', 'application/json'])

export const BULK_UPLOAD_PATH = '/servicePrincipals/:spId/synchronization/jobs/:jobId/bulkUpload'

/**
 * The drop-in for Graph's bulkUpload. Everything that can be refused without the body is
 * refused before it is read (token, job, media type, declared length); the body is then
 * read up to the job's byte limit, parsed once, validated, committed, and answered 202.
 */
export default async function bulkUploadRoutes (app: FastifyInstance): Promise<void> {
  app.decorateRequest('uploadJob', null as unknown as SyncJob)
  // This scope reads upload bodies itself, bounded by the job's limit, and keeps the raw
  // text for storage.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', async (request: FastifyRequest, payload: Readable) =>
    await readBounded(payload, request.uploadJob.settings.maxPayloadBytes))

  app.post<{ Params: { spId: string, jobId: string }, Body: string }>(BULK_UPLOAD_PATH, {
    schema: {
      tags: ['bulk upload'],
      summary: 'Upload SCIM users in bulk',
      operationId: 'bulkUpload',
      description: 'Accepts a SCIM BulkRequest of Core + Enterprise users (POST creates or updates, DELETE soft-deletes). ' +
        'Attribute names and schema URNs are case-insensitive. 202 means the request is committed: it will be processed in acceptance order ' +
        'once the job is started. `Location` points at the request\'s status resource. Roles SynchronizationData-User.Upload, or ' +
        'SynchronizationData-User.Upload.OwnedBy for owners of the app.',
      consumes: ['application/scim+json', 'application/json'],
      params: {
        type: 'object',
        required: ['spId', 'jobId'],
        properties: { spId: { type: 'string', format: 'uuid' }, jobId: { type: 'string', minLength: 1, maxLength: 200 } }
      },
      body: { $ref: `${BULK_REQUEST_SCHEMA_ID}#` },
      response: {
        202: {
          type: 'null',
          description: 'Accepted and committed.',
          headers: {
            Location: { type: 'string', description: "URL of the request's status resource." },
            'request-id': { type: 'string', description: 'Id of the accepted request.' }
          }
        },
        ...errorResponses(400, 401, 403, 404, 409, 413, 415),
        429: tooManyRequestsResponse('Throttled; nothing was stored. The message says which limit: the client\'s request rate (RATE_LIMIT_PER_SECOND), ' +
          'the job\'s upload rate (setting maxRequestsPerSecond), or the job\'s backlog (setting maxBacklogOperations: the operations waiting, ' +
          'the bound and how fast the job processes them). Retry after the Retry-After header\'s seconds.')
      }
    },
    // The body is validated by validateBulkRequest, which matches names case-insensitively
    // and locates every problem; the schema above documents the same contract.
    validatorCompiler: () => () => true,
    onRequest: async (request) => {
      await app.authenticate(request)
      // Runs before params are validated: the job must be known before the body is read.
      const { spId, jobId } = request.params as { spId: string, jobId: string }
      if (!UUID.test(spId)) throw new GraphError(400, 'BadRequest', `params/spId must be a uuid, not '${spId}'.`, [{ code: 'invalidValue', target: 'params/spId', message: 'must be a uuid' }])
      const job = await app.jobLookup.get(spId, jobId)
      if (job === undefined) throw notFound(`Provisioning job ${jobId}`)
      assertJobAccess(request, job)
      if (job.statusCode === 'NotConfigured') throw new GraphError(409, 'JobNotConfigured', `Provisioning job ${job.id} is not configured yet; it accepts uploads once it is.`)
      request.uploadJob = job
      checkMediaType(request.headers['content-type'])
      const declared = Number(request.headers['content-length'])
      if (Number.isFinite(declared) && declared > job.settings.maxPayloadBytes) throw tooManyBytes(job.settings.maxPayloadBytes)
      // Throttles come after the refusals that retrying cannot cure, and before the body is read.
      app.uploadRateLimit.take(job.id, job.settings.maxRequestsPerSecond)
      await app.backlogBound.assertRoom(job)
    }
  }, async (request, reply) => {
    const job = request.uploadJob
    const text = withoutByteOrderMark(request.body ?? '')
    // Only the count leaves the check: the parsed and normalized trees (megabytes for a
    // large request) are garbage before the insert is awaited.
    const operationCount = checkBulkRequest(text, job.settings.maxOperations)
    await acceptBulkRequest(app.db, app.queues, {
      requestId: request.id,
      jobId: job.id,
      payload: text,
      operationCount,
      clientId: request.principal.clientId
    }, request.log)
    app.backlogBound.noteAccepted(job.id, operationCount)
    recordOperationsAccepted(job.id, operationCount)
    const prefix = request.url.startsWith('/v1.0/') ? '/v1.0' : request.url.startsWith('/beta/') ? '/beta' : ''
    return reply.code(202)
      .header('location', `${app.publicBaseUrl(request)}${prefix}/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs/${job.id}/bulkUploads/${request.id}`)
      .send()
  })
}

/** Parses and validates an upload; returns its number of operations or throws the 400/413 to answer. */
function checkBulkRequest (text: string, maxOperations: number): number {
  const parsed = parseJson(text)
  const count = countOperations(parsed)
  if (count !== undefined && count > maxOperations) {
    throw new GraphError(413, 'RequestEntityTooLarge',
      `The request has ${count} operations; this job accepts at most ${maxOperations} per request (setting maxOperations).`,
      [{ code: 'tooManyOperations', target: '/Operations', message: `at most ${maxOperations} operations`, limit: maxOperations }])
  }
  const result = validateBulkRequest(parsed)
  if (!result.ok) {
    throw new GraphError(400, 'InvalidDataFormat',
      `The bulk request is invalid (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}): ` +
      result.errors.slice(0, 5).map(error => `${error.pointer || '/'} ${error.message}`).join('; '),
      result.errors.map(error => ({ code: 'invalidValue', target: error.pointer, message: error.message, ...(error.index !== undefined ? { index: error.index } : {}), ...(error.bulkId !== undefined ? { bulkId: error.bulkId } : {}) })))
  }
  return result.request.operations.length
}

function checkMediaType (header: string | undefined): void {
  const mediaType = header?.split(';')[0].trim().toLowerCase()
  if (mediaType === undefined || !ACCEPTED_MEDIA_TYPES.has(mediaType)) {
    throw new GraphError(415, 'UnsupportedMediaType',
      `Content-Type ${header === undefined ? 'is missing' : `'${header}' is not accepted`}; send application/scim+json (or application/json).`)
  }
}

function tooManyBytes (limit: number): GraphError {
  return new GraphError(413, 'RequestEntityTooLarge', `The body exceeds this job's limit of ${limit} bytes (setting maxPayloadBytes).`,
    [{ code: 'payloadTooLarge', target: '', message: `at most ${limit} bytes`, limit }])
}

async function readBounded (stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += (chunk as Buffer).length
    // Stop buffering at the limit: Node discards the rest of the body while the 413 is sent.
    if (size > limit) throw tooManyBytes(limit)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/** Some Windows clients prefix UTF-8 bodies with a byte-order mark, which JSON.parse refuses. */
function withoutByteOrderMark (text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new GraphError(400, 'InvalidDataFormat', `The body is not valid JSON: ${(err as Error).message}.`, [{ code: 'invalidSyntax', target: '', message: (err as Error).message }])
  }
}
