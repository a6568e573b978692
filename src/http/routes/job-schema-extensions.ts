import type { FastifyInstance } from 'fastify'
import { recordAudit } from '../../audit/audit-log.js'
import { withTransaction } from '../../db/pool.js'
import { getJobSchema, saveJobSchema } from '../../jobs/job-schema-repository.js'
import { declarationsFromSample } from '../../mapping/extension-data.js'
import { validateJobSchema } from '../../mapping/validate-schema.js'
import { targetSchemaFor } from '../../mapping/targets.js'
import { GraphError } from '../graph-error.js'
import { jobParams, requireJob, type JobParams } from '../job-routes.js'
import { ROLES } from '../plugins/auth.js'
import { errorResponses } from '../schemas.js'
import { JOB_SCHEMA_RESPONSE, presentSchema } from './job-schema-mappings.js'

interface SampleBody {
  Operations: Array<{ data?: Record<string, unknown> }>
}

/** Declares a job's custom extension attributes from a sample BulkRequest, as CSV2SCIM's schema update does. */
export default async function jobSchemaExtensionRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Params: JobParams, Body: SampleBody }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/schema/extensions::fromSample', {
    schema: {
      tags: ['provisioning jobs'],
      summary: 'Declare extension attributes from a sample BulkRequest',
      operationId: 'declareExtensionAttributesFromSample',
      description: 'Reads the custom extension attributes (members of `urn:` objects other than the core and enterprise user) of the sample\'s users and declares those the schema does not have yet, ' +
        'typed from their values (true/false: boolean, whole numbers: integer, ISO 8601 dates: dateTime, the rest: string; a list: multi-valued). Existing declarations are kept as they are. ' +
        'Saves a new schema version (audited) when something was added. Role Synchronization.ReadWrite.All.',
      params: jobParams,
      body: {
        type: 'object',
        required: ['Operations'],
        properties: {
          schemas: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 256 } },
          Operations: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'object', properties: { data: { type: 'object' } } } }
        }
      },
      response: {
        200: {
          'x-response-description': 'The attributes declared by this call and the schema after it.',
          type: 'object',
          required: ['added', 'schema'],
          properties: { added: JOB_SCHEMA_RESPONSE.properties.extensionAttributes, schema: JOB_SCHEMA_RESPONSE }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async request => {
    const job = await requireJob(app, request.params)
    const users = request.body.Operations.flatMap(op => op.data === undefined ? [] : [op.data])
    return await withTransaction(app.db, async client => {
      // The job row is locked by the save; reading first under FOR UPDATE keeps two samples from racing.
      await client.query('SELECT 1 FROM sync_jobs WHERE id = $1 FOR UPDATE', [job.id])
      const stored = (await getJobSchema(client, job.id))!
      const known = new Set(stored.schema.extensionAttributes.map(attribute => `${attribute.schema.toLowerCase()}:${attribute.name.toLowerCase()}`))
      const added = declarationsFromSample(users).filter(attribute => !known.has(`${attribute.schema.toLowerCase()}:${attribute.name.toLowerCase()}`))
      if (added.length === 0) return { added, schema: presentSchema(stored) }
      const schema = { ...stored.schema, extensionAttributes: [...stored.schema.extensionAttributes, ...added] }
      const problems = validateJobSchema(schema, targetSchemaFor(job.templateId))
      if (problems.length > 0) {
        throw new GraphError(400, 'InvalidSchema', `The sample declares attributes that cannot be declared: ${problems[0]!.reason}`,
          problems.map(problem => ({ code: 'InvalidSchema', message: problem.reason, target: problem.pointer })))
      }
      const version = (await saveJobSchema(client, job.id, schema))!
      await recordAudit(client, {
        activity: 'Update synchronization job schema',
        category: 'ProvisioningManagement',
        operationType: 'Update',
        initiatedBy: request.principal.clientId,
        target: { type: 'SynchronizationJob', id: job.id },
        jobId: job.id,
        result: 'success',
        modifiedProperties: [{ displayName: 'schemaVersion', oldValue: String(stored.version), newValue: String(version) }],
        additionalDetails: [{ key: 'extensionAttributesAdded', value: added.map(attribute => `${attribute.schema}:${attribute.name}`).join(', ') }]
      })
      return { added, schema: presentSchema((await getJobSchema(client, job.id))!) }
    })
  })
}
