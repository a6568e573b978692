/**
 * A job's schema: how source (SCIM) users become directory users. Shaped like Graph's
 * objectMapping: attribute mappings, a scoping filter and the custom extension attributes
 * the HR side may send.
 */
export interface JobSchema {
  attributeMappings: AttributeMappingDefinition[]
  /** Groups are ORed, the clauses of a group ANDed; null: every record is in scope. */
  scope: ScopeFilter | null
  extensionAttributes: ExtensionAttribute[]
}

export type MappingType = 'Direct' | 'Constant' | 'Expression' | 'None'
export type FlowType = 'Always' | 'ObjectAddOnly'

export interface AttributeMappingDefinition {
  targetAttributeName: MappingTarget
  /**
   * Direct: `name` is the source attribute; Constant: `name` is the value; Expression:
   * `expression` is the text; None: no source (only the default value, into an empty target).
   */
  source: { type: 'Attribute' | 'Constant' | 'Function', name: string | null, expression: string | null } | null
  mappingType: MappingType
  flowType: FlowType
  /** Used when the source gives nothing, on create only (None: whenever the target is empty). */
  defaultValue: string | null
  /** 0: not used for matching; 1, 2, …: matching attributes, tried in this order. */
  matchingPriority: number
}

/** An attribute of the directory's users (which ones depends on the template: see targets.ts), or `manager`. */
export type MappingTarget = string

export interface ScopeFilter {
  groups: Array<{ clauses: ScopeClause[] }>
}

export interface ScopeClause {
  sourceOperandName: string
  operatorName: ScopeOperator
  /** The values compared with; empty for unary operators (IS TRUE, IS NULL, …). */
  targetOperand: { values: string[] }
}

export const SCOPE_OPERATORS = {
  EQUALS: 'binary',
  'NOT EQUALS': 'binary',
  'IS TRUE': 'unary',
  'IS FALSE': 'unary',
  'IS NULL': 'unary',
  'IS NOT NULL': 'unary',
  'REGEX MATCH': 'binary',
  'NOT REGEX MATCH': 'binary',
  Includes: 'binary',
  '&': 'binary',
  '!&': 'binary',
  ENDS_WITH: 'binary',
  Greater_Than: 'binary',
  Greater_Than_OR_EQUALS: 'binary'
} as const

export type ScopeOperator = keyof typeof SCOPE_OPERATORS

export interface ExtensionAttribute {
  /** The extension's schema URN, e.g. urn:ietf:params:scim:schemas:extension:contoso:1.0:User. */
  schema: string
  name: string
  type: 'string' | 'boolean' | 'integer' | 'dateTime'
  multiValued: boolean
}


/** A Direct mapping that flows Always; used to write templates' default schemas. */
export function directMapping (source: string, target: MappingTarget, matchingPriority = 0): AttributeMappingDefinition {
  return { targetAttributeName: target, source: { type: 'Attribute', name: source, expression: null }, mappingType: 'Direct', flowType: 'Always', defaultValue: null, matchingPriority }
}

/** An Expression mapping; used to write templates' default schemas. */
export function expressionMapping (text: string, target: MappingTarget, flowType: FlowType = 'Always'): AttributeMappingDefinition {
  return { targetAttributeName: target, source: { type: 'Function', name: null, expression: text }, mappingType: 'Expression', flowType, defaultValue: null, matchingPriority: 0 }
}
