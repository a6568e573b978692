import type { Db, DbClient } from '../db/pool.js'
import { API2AAD_DEFAULT_SCHEMA } from '../mapping/api2aad-defaults.js'
import { API2AD_DEFAULT_SCHEMA } from '../mapping/api2ad-defaults.js'
import { compileSchema, type CompiledSchema } from '../mapping/compiled-schema.js'
import type { JobSchema } from '../mapping/job-schema.js'

type Queryable = Db | DbClient

export interface StoredJobSchema {
  schema: JobSchema
  version: number
  /** Null while the job runs on its template's default schema. */
  modifiedAt: Date | null
  templateId: string
}

/** The schema a job's template starts with. */
export function defaultSchemaFor (templateId: string): JobSchema {
  return templateId === 'API2AD' ? API2AD_DEFAULT_SCHEMA : API2AAD_DEFAULT_SCHEMA
}

export async function getJobSchema (db: Queryable, jobId: string): Promise<StoredJobSchema | undefined> {
  const { rows: [row] } = await db.query('SELECT template_id, schema, schema_version, schema_modified_at FROM sync_jobs WHERE id = $1', [jobId])
  if (row === undefined) return undefined
  return { schema: row.schema ?? defaultSchemaFor(row.template_id), version: row.schema_version, modifiedAt: row.schema_modified_at, templateId: row.template_id }
}

/**
 * Saves a checked schema as the job's next version. With `expectedVersion`, the save only
 * happens if nobody saved since that version was read; returns the new version, or
 * undefined when the expected version is stale.
 */
export async function saveJobSchema (client: DbClient, jobId: string, schema: JobSchema, expectedVersion?: number): Promise<number | undefined> {
  const { rows: [row] } = await client.query(
    `UPDATE sync_jobs SET schema = $2, schema_version = schema_version + 1, schema_modified_at = clock_timestamp(), updated_at = now()
     WHERE id = $1 AND ($3::int IS NULL OR schema_version = $3) RETURNING schema_version`,
    [jobId, JSON.stringify(schema), expectedVersion ?? null])
  return row?.schema_version
}

const compiled = new Map<string, CompiledSchema>()
const MAX_CACHED = 1000

/**
 * The job's schema compiled, parsed once per version: workers ask for it on every batch
 * and read the stored schema only when its version is new to them.
 */
export async function compiledSchemaFor (db: Queryable, jobId: string, version: number): Promise<CompiledSchema> {
  const key = `${jobId}:${version}`
  const cached = compiled.get(key)
  if (cached !== undefined) return cached
  const stored = await getJobSchema(db, jobId)
  if (stored === undefined) throw new Error(`job ${jobId} does not exist`)
  // Read inside the batch's transaction, which holds the job row: the version cannot move.
  const schema = compileSchema(stored.schema, stored.version, stored.templateId)
  if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!)
  compiled.set(key, schema)
  return schema
}
