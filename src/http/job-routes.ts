import type { FastifyInstance } from 'fastify'
import { getJob, type SyncJob } from '../jobs/repository.js'
import { readJobStatus } from '../jobs/job-status.js'
import type { Db } from '../db/pool.js'
import { notFound } from './graph-error.js'

/** Path parameters of every job route. */
export interface JobParams { spId: string, jobId: string }

export const jobParams = {
  type: 'object',
  required: ['spId', 'jobId'],
  properties: { spId: { type: 'string', format: 'uuid' }, jobId: { type: 'string', minLength: 1, maxLength: 200 } }
} as const

export const spParams = { type: 'object', required: ['spId'], properties: { spId: { type: 'string', format: 'uuid' } } } as const

/** The job, or the 404 to answer. */
export async function requireJob (app: FastifyInstance, params: JobParams): Promise<SyncJob> {
  const job = await getJob(app.db, params.spId, params.jobId)
  if (job === undefined) throw notFound(`Job ${params.jobId} of service principal ${params.spId}`)
  return job
}

const SCHEDULE_STATE: Record<SyncJob['statusCode'], string> = { NotConfigured: 'Disabled', NotRun: 'Disabled', Active: 'Active', Paused: 'Paused', Quarantine: 'Active' }

/** The job as Graph shapes it: schedule, status (quarantine, last executions, counts), settings. */
export async function jobResource (db: Db, job: SyncJob): Promise<Record<string, unknown>> {
  return {
    id: job.id,
    templateId: job.templateId,
    servicePrincipalId: job.servicePrincipalId,
    directoryId: job.directoryId,
    schedule: { state: SCHEDULE_STATE[job.statusCode] },
    status: await readJobStatus(db, job),
    settings: job.settings
  }
}
