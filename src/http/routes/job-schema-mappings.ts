import type { FastifyInstance } from 'fastify'
import { recordAudit } from '../../audit/audit-log.js'
import { withTransaction } from '../../db/pool.js'
import { compileExpression } from '../../expressions/evaluate.js'
import { toAttributeMappingSource } from '../../expressions/graph-form.js'
import { parseExpression } from '../../expressions/parser.js'
import { printExpression } from '../../expressions/print.js'
import { getJobSchema, saveJobSchema, type StoredJobSchema } from '../../jobs/job-schema-repository.js'
import { SCOPE_OPERATORS, type AttributeMappingDefinition, type JobSchema } from '../../mapping/job-schema.js'
import { validateJobSchema } from '../../mapping/validate-schema.js'
import { targetSchemaFor } from '../../mapping/targets.js'
import { GraphError } from '../graph-error.js'
import { jobParams, requireJob, type JobParams } from '../job-routes.js'
import { ROLES } from '../plugins/auth.js'
import { errorResponses } from '../schemas.js'

type SchemaBody = Partial<JobSchema> & Pick<JobSchema, 'attributeMappings'> & { version?: number }

const nullableText = (maxLength: number): Record<string, unknown> => ({ type: ['string', 'null'], maxLength })

const ATTRIBUTE_MAPPING = {
  type: 'object',
  required: ['targetAttributeName', 'mappingType'],
  additionalProperties: false,
  properties: {
    targetAttributeName: { type: 'string', minLength: 1, maxLength: 128 },
    source: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['Attribute', 'Constant', 'Function'] },
        name: nullableText(1024),
        expression: nullableText(10_000),
        // As GET shows it; the expression text is what counts.
        parameters: { type: 'array', maxItems: 1000 }
      }
    },
    mappingType: { type: 'string', enum: ['Direct', 'Constant', 'Expression', 'None'] },
    flowType: { type: 'string', enum: ['Always', 'ObjectAddOnly'], default: 'Always' },
    defaultValue: { ...nullableText(1024), default: null },
    matchingPriority: { type: 'integer', minimum: 0, maximum: 100, default: 0 }
  }
}

const SCOPE = {
  type: ['object', 'null'],
  description: 'Scoping filter: the clauses of a group are ANDed, the groups ORed. Null: every record is in scope.',
  required: ['groups'],
  additionalProperties: false,
  properties: {
    groups: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['clauses'],
        additionalProperties: false,
        properties: {
          clauses: {
            type: 'array',
            minItems: 1,
            maxItems: 50,
            items: {
              type: 'object',
              required: ['sourceOperandName', 'operatorName'],
              additionalProperties: false,
              properties: {
                sourceOperandName: { type: 'string', minLength: 1, maxLength: 1024 },
                operatorName: { type: 'string', enum: Object.keys(SCOPE_OPERATORS) },
                targetOperand: {
                  type: 'object',
                  additionalProperties: false,
                  default: { values: [] },
                  properties: { values: { type: 'array', maxItems: 1, default: [], items: { type: 'string', maxLength: 1024 } } }
                }
              }
            }
          }
        }
      }
    }
  }
}

const EXTENSION_ATTRIBUTE = {
  type: 'object',
  required: ['schema', 'name', 'type'],
  additionalProperties: false,
  properties: {
    schema: { type: 'string', minLength: 1, maxLength: 256 },
    name: { type: 'string', minLength: 1, maxLength: 128 },
    type: { type: 'string', enum: ['string', 'boolean', 'integer', 'dateTime'] },
    multiValued: { type: 'boolean', default: false }
  }
}

const SCHEMA_PROPERTIES = {
  attributeMappings: { type: 'array', maxItems: 200, items: ATTRIBUTE_MAPPING },
  scope: SCOPE,
  extensionAttributes: { type: 'array', maxItems: 500, items: EXTENSION_ATTRIBUTE }
}

export const JOB_SCHEMA_RESPONSE = {
  type: 'object',
  required: ['version', 'lastModifiedDateTime', 'attributeMappings', 'scope', 'extensionAttributes'],
  properties: {
    version: { type: 'integer', description: 'Counts saves; 1 is the template\'s default schema.' },
    lastModifiedDateTime: { type: ['string', 'null'], format: 'date-time', description: 'Null while the job runs on its template\'s default schema.' },
    attributeMappings: {
      type: 'array',
      items: {
        ...ATTRIBUTE_MAPPING,
        required: ['targetAttributeName', 'source', 'mappingType', 'flowType', 'defaultValue', 'matchingPriority'],
        properties: { ...ATTRIBUTE_MAPPING.properties, source: { anyOf: [{ $ref: 'AttributeMappingSource#' }, { type: 'null' }] } }
      }
    },
    scope: SCOPE,
    extensionAttributes: { type: 'array', items: EXTENSION_ATTRIBUTE }
  }
}

/** A job's schema: read it, or replace it whole (checked, versioned and audited). */
export default async function jobSchemaMappingRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: JobParams }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/schema', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "Read a job's schema: attribute mappings, scoping filter, extension attributes",
      operationId: 'getSynchronizationJobSchema',
      description: 'Expression mappings show their source parsed, as Graph\'s attributeMappingSource, with the text in `expression`. Role Synchronization.ReadWrite.All or Synchronization.Read.All.',
      params: jobParams,
      response: { 200: { ...JOB_SCHEMA_RESPONSE, 'x-response-description': 'The schema and its version.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => {
    const job = await requireJob(app, request.params)
    return presentSchema((await getJobSchema(app.db, job.id))!)
  })

  app.put<{ Params: JobParams, Body: SchemaBody }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/schema', {
    schema: {
      tags: ['provisioning jobs'],
      summary: "Replace a job's schema",
      operationId: 'replaceSynchronizationJobSchema',
      description: 'Replaces the whole schema. Every problem is reported at once (400, one detail per problem with its JSON pointer, the mapping\'s target and, inside an expression or pattern, the character). ' +
        'With `version`, the save happens only if the schema is still at that version (409 otherwise). A saved schema gets the next version and applies to records processed from then on; ' +
        'the change is audited (Update synchronization job schema). Role Synchronization.ReadWrite.All.',
      params: jobParams,
      body: {
        type: 'object',
        required: ['attributeMappings'],
        additionalProperties: false,
        properties: { ...SCHEMA_PROPERTIES, version: { type: 'integer', minimum: 1, description: 'The version this schema was edited from.' }, lastModifiedDateTime: {} }
      },
      response: {
        200: { ...JOB_SCHEMA_RESPONSE, 'x-response-description': 'The saved schema and its new version.' },
        ...errorResponses(400, 401, 403, 404),
        409: { $ref: 'GraphError#', description: 'The schema was saved by someone else since the `version` sent; the message names the current version.' }
      }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite])
  }, async request => {
    const job = await requireJob(app, request.params)
    const schema: JobSchema = {
      attributeMappings: request.body.attributeMappings.map(normalizeMapping),
      scope: request.body.scope ?? null,
      extensionAttributes: request.body.extensionAttributes ?? []
    }
    const problems = validateJobSchema(schema, targetSchemaFor(job.templateId))
    if (problems.length > 0) {
      throw new GraphError(400, 'InvalidSchema', `The schema has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems[0]!.pointer}: ${problems[0]!.reason}`,
        problems.map(problem => ({ code: 'InvalidSchema', message: problem.reason, target: problem.pointer, ...(problem.targetAttributeName === undefined ? {} : { targetAttributeName: problem.targetAttributeName }), ...(problem.position === undefined ? {} : { position: problem.position }) })))
    }
    const saved = await withTransaction(app.db, async client => {
      const before = await getJobSchema(client, job.id)
      const version = await saveJobSchema(client, job.id, schema, request.body.version)
      if (version === undefined) throw new GraphError(409, 'Conflict', `The schema was saved by someone else since version ${request.body.version}; it is at version ${before!.version}. Read it again and reapply your change.`)
      await recordAudit(client, {
        activity: 'Update synchronization job schema',
        category: 'ProvisioningManagement',
        operationType: 'Update',
        initiatedBy: request.principal.clientId,
        target: { type: 'SynchronizationJob', id: job.id },
        jobId: job.id,
        result: 'success',
        modifiedProperties: [{ displayName: 'schemaVersion', oldValue: String(before!.version), newValue: String(version) }],
        additionalDetails: summarizeChange(before!.schema, schema)
      })
      return (await getJobSchema(client, job.id))!
    })
    return presentSchema(saved)
  })
}

/** Fills what the mapping type implies, so what is stored reads the same way whatever the client sent. */
function normalizeMapping (mapping: AttributeMappingDefinition): AttributeMappingDefinition {
  const source = mapping.source ?? null
  const name = source?.name ?? null
  const expression = source?.expression ?? null
  return {
    targetAttributeName: mapping.targetAttributeName,
    source: mapping.mappingType === 'None'
      ? null
      : { type: mapping.mappingType === 'Direct' ? 'Attribute' : mapping.mappingType === 'Constant' ? 'Constant' : 'Function', name: mapping.mappingType === 'Expression' ? null : name, expression: mapping.mappingType === 'Expression' ? expression : null },
    mappingType: mapping.mappingType,
    flowType: mapping.flowType ?? 'Always',
    defaultValue: mapping.defaultValue ?? null,
    matchingPriority: mapping.matchingPriority ?? 0
  }
}

export function presentSchema (stored: StoredJobSchema): Record<string, unknown> {
  return {
    version: stored.version,
    lastModifiedDateTime: stored.modifiedAt?.toISOString() ?? null,
    attributeMappings: stored.schema.attributeMappings.map(mapping => ({ ...mapping, source: presentSource(mapping) })),
    scope: stored.schema.scope,
    extensionAttributes: stored.schema.extensionAttributes
  }
}

function presentSource (mapping: AttributeMappingDefinition): Record<string, unknown> | null {
  const source = mapping.source
  if (source === null) return null
  if (mapping.mappingType !== 'Expression') return { type: source.type, name: source.name, expression: null, parameters: [] }
  return { ...toAttributeMappingSource(compileExpression(source.expression!).tree), expression: source.expression }
}

/** What the audit entry says changed: targets added, removed or changed, and whether scope or extensions changed. */
function summarizeChange (before: JobSchema, after: JobSchema): Array<{ key: string, value: string }> {
  // Compared in one spelling whatever the storage did to key order (jsonb sorts keys),
  // and expressions in their printed form: re-spacing one is not a change.
  const canonical = (mapping: AttributeMappingDefinition): string => {
    const normal = normalizeMapping(mapping)
    if (normal.source?.expression != null) normal.source.expression = printExpression(parseExpression(normal.source.expression))
    return sortedJson(normal)
  }
  const byTarget = (schema: JobSchema): Map<string, string> => new Map(schema.attributeMappings.map(mapping => [mapping.targetAttributeName, canonical(mapping)]))
  const [old, now] = [byTarget(before), byTarget(after)]
  const added = [...now.keys()].filter(target => !old.has(target))
  const removed = [...old.keys()].filter(target => !now.has(target))
  const changed = [...now.keys()].filter(target => old.has(target) && old.get(target) !== now.get(target))
  const details = [
    { key: 'mappingsAdded', value: added.join(', ') },
    { key: 'mappingsRemoved', value: removed.join(', ') },
    { key: 'mappingsChanged', value: changed.join(', ') },
    { key: 'scopeChanged', value: String(sortedJson(before.scope) !== sortedJson(after.scope)) },
    { key: 'extensionAttributesChanged', value: String(sortedJson(before.extensionAttributes) !== sortedJson(after.extensionAttributes)) }
  ]
  return details.filter(detail => detail.value !== '' && detail.value !== 'false')
}

/** JSON with object keys in sorted order, so two equal values always print the same. */
function sortedJson (value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => inner !== null && typeof inner === 'object' && !Array.isArray(inner)
    ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
    : inner)
}
