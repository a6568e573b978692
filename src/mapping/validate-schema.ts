import { compileExpression } from '../expressions/evaluate.js'
import { compileDotNetRegex } from '../expressions/safe-regex.js'
import { ExpressionError, type ExpressionNode } from '../expressions/syntax.js'
import { CORE_USER_URN, ENTERPRISE_USER_URN } from '../scim/types.js'
import { SCOPE_OPERATORS, type AttributeMappingDefinition, type ExtensionAttribute, type JobSchema, type ScopeClause } from './job-schema.js'
import { unknownSourceReason } from './source-attributes.js'
import type { TargetSchema } from './targets.js'

/** One thing wrong with a submitted schema: where (JSON pointer, and the mapping's target), and why. */
export interface SchemaProblem {
  pointer: string
  targetAttributeName?: string
  /** 1-based character in the expression or pattern, when the problem is inside one. */
  position?: number
  reason: string
}

const EXTENSION_URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[!-~]+$/
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/

/**
 * Checks a schema as a whole before it is saved: every expression parses and names known
 * functions and attributes, every target exists once, matching is possible, filters and
 * patterns are sound. All problems are reported at once, each with where it is.
 */
export function validateJobSchema (schema: JobSchema, targets: TargetSchema): SchemaProblem[] {
  const problems: SchemaProblem[] = []
  checkExtensions(schema.extensionAttributes, problems)
  const extensions = schema.extensionAttributes
  const seenTargets = new Map<string, number>()
  const priorities = new Map<number, number>()
  for (const [i, mapping] of schema.attributeMappings.entries()) {
    const at = `/attributeMappings/${i}`
    const report = (pointer: string, reason: string, position?: number): void => {
      problems.push({ pointer: `${at}${pointer}`, targetAttributeName: mapping.targetAttributeName, reason, ...(position === undefined ? {} : { position }) })
    }
    if (!targets.attributes.has(mapping.targetAttributeName)) {
      report('/targetAttributeName', `'${mapping.targetAttributeName}' is not an attribute of the directory's users; targets: ${[...targets.attributes].join(', ')}`)
    } else if (seenTargets.has(mapping.targetAttributeName)) {
      report('/targetAttributeName', `'${mapping.targetAttributeName}' is already mapped by attributeMappings/${seenTargets.get(mapping.targetAttributeName)}; a target takes one mapping`)
    } else {
      seenTargets.set(mapping.targetAttributeName, i)
    }
    checkSource(mapping, extensions, targets, report)
    if (mapping.matchingPriority > 0) {
      if (!targets.matchable.includes(mapping.targetAttributeName)) report('/matchingPriority', `users can be matched on ${targets.matchable.join(', ')}, not on '${mapping.targetAttributeName}'`)
      if (mapping.mappingType === 'None' || mapping.mappingType === 'Constant') report('/matchingPriority', `a ${mapping.mappingType} mapping cannot match users: it does not read the source record`)
      if (mapping.flowType !== 'Always') report('/flowType', 'a matching attribute must flow Always, or a changed value could never be matched again')
      const earlier = priorities.get(mapping.matchingPriority)
      if (earlier !== undefined) report('/matchingPriority', `matching priority ${mapping.matchingPriority} is already given to attributeMappings/${earlier}`)
      priorities.set(mapping.matchingPriority, i)
    }
  }
  if (priorities.size === 0) {
    problems.push({ pointer: '/attributeMappings', reason: `no mapping has a matchingPriority: give one of ${targets.matchable.join(', ')} matchingPriority 1, so records can be matched to users` })
  }
  schema.scope?.groups.forEach((group, g) => group.clauses.forEach((clause, c) => checkClause(clause, `/scope/groups/${g}/clauses/${c}`, extensions, problems)))
  return problems
}

function checkSource (mapping: AttributeMappingDefinition, extensions: ExtensionAttribute[], targets: TargetSchema, report: (pointer: string, reason: string, position?: number) => void): void {
  const source = mapping.source
  switch (mapping.mappingType) {
    case 'None':
      if (mapping.defaultValue === null) report('/defaultValue', 'a None mapping only fills an empty target with its defaultValue, so it needs one')
      return
    case 'Constant':
      if (source?.name == null) report('/source/name', 'a Constant mapping carries its value in source.name')
      return
    case 'Direct': {
      if (source?.name == null || source.name === '') { report('/source/name', 'a Direct mapping names its source attribute in source.name'); return }
      const unknown = unknownSourceReason(source.name, extensions)
      if (unknown !== undefined) report('/source/name', unknown)
      return
    }
    case 'Expression': {
      if (source?.expression == null || source.expression === '') { report('/source/expression', 'an Expression mapping carries its text in source.expression'); return }
      try {
        const compiled = compileExpression(source.expression)
        if (compiled.tree.type === 'Function' && compiled.tree.name === 'SelectUniqueValue' && !targets.unique.includes(mapping.targetAttributeName)) {
          report('/source/expression', `SelectUniqueValue picks a value no other user holds, for an attribute the directory keeps unique: ${targets.unique.join(', ')}`, compiled.tree.position)
        }
        for (const attribute of attributesOf(compiled.tree)) {
          const unknown = unknownSourceReason(attribute.name, extensions)
          if (unknown !== undefined) report('/source/expression', unknown, attribute.position)
        }
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err
        report('/source/expression', err.reason, err.position)
      }
    }
  }
}

function attributesOf (node: ExpressionNode | null): Array<{ name: string, position: number }> {
  if (node === null) return []
  switch (node.type) {
    case 'Attribute': return [{ name: node.name, position: node.position }]
    case 'Function': return node.args.flatMap(attributesOf)
    case 'Comparison': return [...attributesOf(node.left), ...attributesOf(node.right)]
    default: return []
  }
}

function checkClause (clause: ScopeClause, at: string, extensions: ExtensionAttribute[], problems: SchemaProblem[]): void {
  const report = (pointer: string, reason: string, position?: number): void => {
    problems.push({ pointer: `${at}${pointer}`, reason, ...(position === undefined ? {} : { position }) })
  }
  const unknown = unknownSourceReason(clause.sourceOperandName, extensions)
  if (unknown !== undefined) report('/sourceOperandName', unknown)
  const arity = SCOPE_OPERATORS[clause.operatorName]
  const values = clause.targetOperand.values
  if (arity === 'unary') {
    if (values.length > 0) report('/targetOperand/values', `${clause.operatorName} compares with nothing; leave values empty`)
    return
  }
  if (values.length !== 1) { report('/targetOperand/values', `${clause.operatorName} compares with exactly one value`); return }
  const value = values[0]!
  if (clause.operatorName === 'REGEX MATCH' || clause.operatorName === 'NOT REGEX MATCH') {
    try { compileDotNetRegex(value, 1) } catch (err) {
      if (!(err instanceof ExpressionError)) throw err
      report('/targetOperand/values/0', err.reason, err.position)
    }
  }
  if (['Greater_Than', 'Greater_Than_OR_EQUALS', '&', '!&'].includes(clause.operatorName) && !/^-?\d{1,15}$/.test(value)) {
    report('/targetOperand/values/0', `${clause.operatorName} compares integers; '${value}' is not one`)
  }
}

function checkExtensions (attributes: ExtensionAttribute[], problems: SchemaProblem[]): void {
  const seen = new Set<string>()
  for (const [i, attribute] of attributes.entries()) {
    const at = `/extensionAttributes/${i}`
    const urn = attribute.schema.toLowerCase()
    if (!EXTENSION_URN.test(attribute.schema)) problems.push({ pointer: `${at}/schema`, reason: `'${attribute.schema}' is not a URN such as urn:ietf:params:scim:schemas:extension:contoso:1.0:User` })
    else if (urn === CORE_USER_URN.toLowerCase() || urn === ENTERPRISE_USER_URN.toLowerCase()) problems.push({ pointer: `${at}/schema`, reason: 'the core and enterprise user schemas are built in; an extension has its own URN' })
    if (!ATTRIBUTE_NAME.test(attribute.name)) problems.push({ pointer: `${at}/name`, reason: `'${attribute.name}' is not an attribute name (a letter, then letters, digits, - or _)` })
    const key = `${urn}:${attribute.name.toLowerCase()}`
    if (seen.has(key)) problems.push({ pointer: `${at}/name`, reason: `'${attribute.schema}:${attribute.name}' is declared twice` })
    seen.add(key)
  }
}

