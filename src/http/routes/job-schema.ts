import type { FastifyInstance } from 'fastify'
import type { Db } from '../../db/pool.js'
import { getDirectory } from '../../directory/repository.js'
import { compileExpression, type CompiledExpression, type EvaluationResult } from '../../expressions/evaluate.js'
import { toAttributeMappingSource } from '../../expressions/graph-form.js'
import { ExpressionError } from '../../expressions/syntax.js'
import { values, type Value } from '../../expressions/values.js'
import { ROLES } from '../plugins/auth.js'
import { jobParams, requireJob, type JobParams } from '../job-routes.js'
import { errorResponses } from '../schemas.js'

interface ParseExpressionBody {
  expression: string
  testInputObject?: { properties?: Array<{ key: string, value: string | string[] | null }> }
}

/** The expression language's test bench: the same parser and evaluator the mapping engine runs. */
export default async function jobSchemaRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Params: JobParams, Body: ParseExpressionBody }>('/servicePrincipals/:spId/synchronization/jobs/:jobId/schema/parseExpression', {
    schema: {
      tags: ['provisioning jobs'],
      summary: 'Parse and evaluate an attribute-mapping expression',
      operationId: 'parseExpression',
      description: 'Parses `expression` (Entra\'s expression language: case-sensitive function names, [attribute] references, "strings" with \\" and \\\\ escapes, ' +
        'numbers, empty positional arguments, comparisons in IIF) and evaluates it against `testInputObject.properties` (attribute name → value). ' +
        'A parse error names the character where it goes wrong; SelectUniqueValue checks candidates against the job\'s directory, DefaultDomain() reads its first domain. ' +
        'Role Synchronization.ReadWrite.All or Synchronization.Read.All.',
      params: jobParams,
      body: {
        type: 'object',
        required: ['expression'],
        additionalProperties: false,
        properties: {
          expression: { type: 'string', maxLength: 20000 },
          testInputObject: {
            type: 'object',
            properties: {
              definition: {},
              properties: {
                type: 'array',
                maxItems: 1000,
                items: {
                  type: 'object',
                  required: ['key'],
                  properties: {
                    key: { type: 'string', minLength: 1, maxLength: 1000 },
                    value: { anyOf: [{ type: 'string', maxLength: 100000 }, { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 100000 } }, { type: 'null' }] }
                  }
                }
              }
            }
          },
          targetAttributeDefinition: {}
        }
      },
      response: {
        200: {
          'x-response-description': 'Whether parsing and evaluation succeeded, the result, the parsed form and the error.',
          type: 'object',
          required: ['parsingSucceeded', 'evaluationSucceeded', 'evaluationResult', 'parsedExpression', 'error'],
          properties: {
            parsingSucceeded: { type: 'boolean' },
            evaluationSucceeded: { type: 'boolean' },
            evaluationResult: { type: ['array', 'null'], items: { type: 'string' }, description: 'The value(s); null when the attribute would not flow (IgnoreFlowIfNullOrEmpty) or evaluation failed.' },
            parsedExpression: { anyOf: [{ $ref: 'AttributeMappingSource#' }, { type: 'null' }] },
            error: {
              type: ['object', 'null'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, position: { type: 'integer' } }
            }
          }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles([ROLES.syncReadWrite, ROLES.syncRead])
  }, async request => {
    const job = await requireJob(app, request.params)
    const { expression, testInputObject } = request.body
    let compiled: CompiledExpression
    try {
      compiled = compileExpression(expression)
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err
      return { parsingSucceeded: false, evaluationSucceeded: false, evaluationResult: null, parsedExpression: null, error: { code: 'ParsingFailed', message: err.message, position: err.position } }
    }
    const parsedExpression = { ...toAttributeMappingSource(compiled.tree), expression }
    const input = new Map<string, Value>()
    for (const property of testInputObject?.properties ?? []) input.set(property.key.toLowerCase(), property.value ?? null)
    const directory = await getDirectory(app.db, job.directoryId)
    try {
      const result = await evaluateWithDirectory(app.db, job.directoryId, compiled, {
        read: name => input.get(name.toLowerCase()) ?? null,
        defaultDomain: directory?.domains[0]
      })
      return { parsingSucceeded: true, evaluationSucceeded: true, evaluationResult: result.flow ? values(result.value) : null, parsedExpression, error: null }
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err
      return { parsingSucceeded: true, evaluationSucceeded: false, evaluationResult: null, parsedExpression, error: { code: 'EvaluationFailed', message: err.message, position: err.position } }
    }
  })
}

/**
 * Runs an expression whose SelectUniqueValue asks the directory about candidates: the
 * candidates are gathered in a first pass, looked up in one query, and the expression runs
 * again knowing which are taken (userPrincipalName or mailNickname of a live user).
 */
async function evaluateWithDirectory (db: Db, directoryId: string, compiled: CompiledExpression, input: { read: (name: string) => Value, defaultDomain?: string }): Promise<EvaluationResult> {
  const candidates: string[] = []
  try {
    compiled.evaluate({ ...input, isUnique: candidate => { candidates.push(candidate); return false } })
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err
  }
  if (candidates.length === 0) return compiled.evaluate({ ...input, isUnique: () => true })
  const { rows } = await db.query(
    `SELECT value FROM unnest($2::text[]) AS c(value) WHERE EXISTS (
       SELECT 1 FROM directory_users WHERE directory_id = $1 AND deleted_at IS NULL
         AND (lower(user_principal_name) = lower(c.value) OR lower(mail_nickname) = lower(c.value)))`, [directoryId, candidates])
  const taken = new Set(rows.map(row => (row.value as string).toLowerCase()))
  return compiled.evaluate({ ...input, isUnique: candidate => !taken.has(candidate.toLowerCase()) })
}
