import { randomUUID } from 'node:crypto'
import { withTransaction, type Db, type DbClient } from '../db/pool.js'
import { withDefaults, type JobSettings } from './settings.js'
import type { Quarantine } from './quarantine.js'

export type JobStatusCode = 'NotConfigured' | 'NotRun' | 'Active' | 'Paused' | 'Quarantine'
export type TemplateId = 'API2AAD' | 'API2AD'

export interface SyncJob {
  id: string
  servicePrincipalId: string
  templateId: TemplateId
  directoryId: string
  statusCode: JobStatusCode
  /** Set while quarantined, kept through a pause. */
  quarantine: Quarantine | null
  /** The cycle in progress, if any. */
  currentCycleId: string | null
  settings: JobSettings
  owners: string[]
  createdAt: Date
  updatedAt: Date
}

export interface ServicePrincipal {
  id: string
  displayName: string
  templateId: TemplateId
  directoryId: string
  owners: string[]
  createdAt: Date
  job: SyncJob
}

type Queryable = Db | DbClient

const JOB_COLUMNS = `j.id, j.service_principal_id, j.template_id, j.directory_id, j.status_code, j.quarantine, j.settings,
  CASE WHEN j.cycle_ended_at IS NULL THEN j.current_cycle_id END AS current_cycle_id, j.created_at, j.updated_at, sp.owners`

function toJob (row: any): SyncJob {
  return {
    id: row.id,
    servicePrincipalId: row.service_principal_id,
    templateId: row.template_id,
    directoryId: row.directory_id,
    statusCode: row.status_code,
    quarantine: row.quarantine ?? null,
    currentCycleId: row.current_cycle_id ?? null,
    settings: withDefaults(row.settings),
    owners: row.owners,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}

/** Graph's job ids read `<template>.<32 hex>.<uuid>`; clients parse nothing from them but expect the shape. */
export function newJobId (templateId: string, servicePrincipalId: string): string {
  return `${templateId}.${servicePrincipalId.replaceAll('-', '')}.${randomUUID()}`
}

export async function createServicePrincipal (db: Db, input: { displayName: string, templateId: TemplateId, directoryId: string, owners: string[], settings?: Partial<JobSettings> }): Promise<ServicePrincipal> {
  const id = randomUUID()
  const jobId = newJobId(input.templateId, id)
  const sp = await withTransaction(db, async client => {
    const { rows: [row] } = await client.query(
      `INSERT INTO service_principals (id, display_name, template_id, directory_id, owners)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`, [id, input.displayName, input.templateId, input.directoryId, input.owners])
    await client.query(
      `INSERT INTO sync_jobs (id, service_principal_id, template_id, directory_id, settings)
       VALUES ($1, $2, $3, $4, $5)`, [jobId, id, input.templateId, input.directoryId, JSON.stringify(input.settings ?? {})])
    return row
  })
  const job = await getJob(db, id, jobId)
  return { id, displayName: sp.display_name, templateId: sp.template_id, directoryId: sp.directory_id, owners: sp.owners, createdAt: sp.created_at, job: job! }
}

export async function getServicePrincipal (db: Queryable, spId: string): Promise<ServicePrincipal | undefined> {
  const { rows: [sp] } = await db.query('SELECT * FROM service_principals WHERE id = $1', [spId])
  if (sp === undefined) return undefined
  const [job] = await listJobs(db, spId)
  return { id: sp.id, displayName: sp.display_name, templateId: sp.template_id, directoryId: sp.directory_id, owners: sp.owners, createdAt: sp.created_at, job: job! }
}

/**
 * Deletes an app and its job, unless requests still wait: accepted data is never dropped
 * silently (a restart purges them visibly first). The provisioning logs stay.
 */
export async function deleteServicePrincipal (db: Db, spId: string): Promise<'deleted' | 'notFound' | { waiting: number }> {
  return await withTransaction(db, async client => {
    const { rows: jobs } = await client.query('SELECT id FROM sync_jobs WHERE service_principal_id = $1 FOR UPDATE', [spId])
    const { rows: [waiting] } = await client.query(
      `SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = ANY($1::text[]) AND state IN ('queued', 'processing')`, [jobs.map(job => job.id)])
    if (waiting.n > 0) return { waiting: waiting.n }
    const { rowCount } = await client.query('DELETE FROM service_principals WHERE id = $1', [spId])
    return rowCount === 0 ? 'notFound' : 'deleted'
  })
}

export async function listJobs (db: Queryable, spId: string): Promise<SyncJob[]> {
  const { rows } = await db.query(
    `SELECT ${JOB_COLUMNS} FROM sync_jobs j JOIN service_principals sp ON sp.id = j.service_principal_id
     WHERE j.service_principal_id = $1 ORDER BY j.created_at`, [spId])
  return rows.map(toJob)
}

export async function getJob (db: Queryable, spId: string, jobId: string): Promise<SyncJob | undefined> {
  const { rows: [row] } = await db.query(
    `SELECT ${JOB_COLUMNS} FROM sync_jobs j JOIN service_principals sp ON sp.id = j.service_principal_id
     WHERE j.id = $1 AND j.service_principal_id = $2`, [jobId, spId])
  return row === undefined ? undefined : toJob(row)
}

/** Every job with the state its queue must reflect; read by workers to know which queues to serve. */
export async function listAllJobStates (db: Queryable): Promise<Array<{ id: string, statusCode: JobStatusCode }>> {
  const { rows } = await db.query('SELECT id, status_code FROM sync_jobs')
  return rows.map(row => ({ id: row.id, statusCode: row.status_code }))
}

export async function updateSettings (db: Queryable, jobId: string, patch: Partial<JobSettings>): Promise<void> {
  await db.query(`UPDATE sync_jobs SET settings = settings || $2::jsonb, updated_at = now() WHERE id = $1`, [jobId, JSON.stringify(patch)])
}

export async function setStatus (db: Queryable, jobId: string, statusCode: JobStatusCode): Promise<void> {
  await db.query('UPDATE sync_jobs SET status_code = $2, updated_at = now() WHERE id = $1', [jobId, statusCode])
}

/** Wakes workers in every process so a started or new job is served at once, not at the next poll. */
export const JOB_CHANGES_CHANNEL = 'scim_inbound_job_changes'

export async function notifyJobChange (db: Queryable, jobId: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [JOB_CHANGES_CHANNEL, jobId])
}
