import { compileExpression, type EvaluationInput } from '../expressions/evaluate.js'
import { ExpressionError } from '../expressions/syntax.js'
import type { Value } from '../expressions/values.js'
import { toValue } from './source-values.js'
import { compileAttributePath, type AttributeReader } from './attribute-path.js'
import type { ExtensionAttribute, FlowType, JobSchema, MappingTarget, MappingType } from './job-schema.js'
import { compileScope, type ScopePredicate } from './scope.js'
import { targetSchemaFor, type TargetSchema } from './targets.js'

/**
 * What a mapping computes for one user: a value, or undefined when nothing flows. A
 * SelectUniqueValue mapping gives its candidates instead, in order: which one is free is
 * known only against the directory, when the operation is applied.
 */
export type MappingResult = { value: Value, redacted: boolean, candidates?: string[] } | undefined

export interface CompiledMapping {
  target: MappingTarget
  mappingType: MappingType
  flowType: FlowType
  defaultValue: string | null
  matchingPriority: number
  /** Throws ExpressionError when an expression cannot be evaluated for this user. */
  produce: (user: Record<string, unknown>, context: MappingContext) => MappingResult
}

export interface MappingContext {
  defaultDomain?: string
  now?: () => Date
}

/** A job schema made ready to run: paths and expressions parsed once per schema version. */
export interface CompiledSchema {
  version: number
  mappings: CompiledMapping[]
  /** Matching targets by precedence. */
  matching: MappingTarget[]
  inScope: ScopePredicate | null
  /** Declared extension attributes by lower-case schema URN, then lower-case name. */
  extensions: Map<string, Map<string, ExtensionAttribute>>
  /** The directory the schema writes to: its attributes' types. */
  targets: TargetSchema
}

const readers = new Map<string, AttributeReader>()

/** Attribute paths read by expressions are parsed once, whatever schema names them. */
function readerFor (path: string): AttributeReader {
  let reader = readers.get(path)
  if (reader === undefined) {
    reader = compileAttributePath(path)
    if (readers.size < 10_000) readers.set(path, reader)
  }
  return reader
}

/** Compiles a schema already checked by validateJobSchema; throws if it was not. */
export function compileSchema (schema: JobSchema, version: number, templateId = 'API2AAD'): CompiledSchema {
  const mappings = schema.attributeMappings.map((mapping): CompiledMapping => {
    const base = { target: mapping.targetAttributeName, mappingType: mapping.mappingType, flowType: mapping.flowType, defaultValue: mapping.defaultValue, matchingPriority: mapping.matchingPriority }
    switch (mapping.mappingType) {
      case 'None':
        return { ...base, produce: () => undefined }
      case 'Constant': {
        const value = mapping.source?.name ?? null
        return { ...base, produce: () => ({ value, redacted: false }) }
      }
      case 'Direct': {
        const read = readerFor(mapping.source!.name!)
        return { ...base, produce: user => ({ value: toValue(read(user)), redacted: false }) }
      }
      case 'Expression': {
        const expression = compileExpression(mapping.source!.expression!)
        const selectsUnique = expression.tree.type === 'Function' && expression.tree.name === 'SelectUniqueValue'
        return {
          ...base,
          produce: (user, context) => {
            const candidates: string[] = []
            const input: EvaluationInput = {
              read: name => toValue(readerFor(name)(user)),
              defaultDomain: context.defaultDomain,
              now: context.now,
              // Every candidate is gathered (none is taken yet); the directory decides later.
              isUnique: candidate => { candidates.push(candidate); return false }
            }
            if (selectsUnique) {
              try { expression.evaluate(input) } catch (err) {
                if (!(err instanceof ExpressionError)) throw err
                // Failing at SelectUniqueValue itself with no candidate: every one was empty, so nothing flows.
                if (candidates.length === 0) { if (err.position === expression.tree.position) return undefined; throw err }
              }
              return { value: null, redacted: false, candidates }
            }
            const result = expression.evaluate(input)
            return result.flow ? { value: result.value, redacted: result.redacted } : undefined
          }
        }
      }
    }
  })
  const matching = mappings.filter(mapping => mapping.matchingPriority > 0)
    .sort((a, b) => a.matchingPriority - b.matchingPriority).map(mapping => mapping.target)
  const extensions = new Map<string, Map<string, ExtensionAttribute>>()
  for (const attribute of schema.extensionAttributes) {
    const urn = attribute.schema.toLowerCase()
    if (!extensions.has(urn)) extensions.set(urn, new Map())
    extensions.get(urn)!.set(attribute.name.toLowerCase(), attribute)
  }
  return { version, mappings, matching, inScope: schema.scope === null ? null : compileScope(schema.scope), extensions, targets: targetSchemaFor(templateId) }
}
