import { LOG_FIELDS } from './log-fields.js'
import type { ComparisonOperator, LogFilter } from './log-filter.js'

/** Adds a value to the statement's parameters and returns its placeholder (`$3`). */
export type AddParameter = (value: unknown) => string

const SQL_OPERATORS: Record<Exclude<ComparisonOperator, 'ne'>, string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' }

/**
 * The SQL condition of a parsed filter. Column names come from LOG_FIELDS and operators
 * from fixed tables; every value is a parameter.
 *
 * Conditions are two-valued as OData's are: a comparison with a NULL column is false, not
 * unknown, so `not (errorCode eq 'X')` also finds the entries without an error code. Each
 * comparison on a nullable column carries its own `IS NOT NULL` for that, which keeps the
 * comparison itself usable by an index.
 */
export function filterCondition (filter: LogFilter, parameter: AddParameter): string {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return `(${filter.operands.map(operand => filterCondition(operand, parameter)).join(filter.kind === 'and' ? ' AND ' : ' OR ')})`
    case 'not':
      return `(NOT ${filterCondition(filter.operand, parameter)})`
    case 'compare':
      return comparison(filter, parameter)
    case 'match':
      return match(filter, parameter)
  }
}

function comparison (filter: Extract<LogFilter, { kind: 'compare' }>, parameter: AddParameter): string {
  const { column, type, nullable } = LOG_FIELDS[filter.field]
  if (filter.value === null) return `(${column} IS ${filter.operator === 'eq' ? '' : 'NOT '}NULL)`
  const cast = type === 'uuid' ? '::uuid' : type === 'dateTime' ? '::timestamptz' : ''
  const value = `${parameter(filter.value)}${cast}`
  // ne is "is not this value", which a NULL column is not either.
  if (filter.operator === 'ne') return `(${column} IS DISTINCT FROM ${value})`
  const condition = `${column} ${SQL_OPERATORS[filter.operator]} ${value}`
  return nullable ? `(${condition} AND ${column} IS NOT NULL)` : `(${condition})`
}

function match (filter: Extract<LogFilter, { kind: 'match' }>, parameter: AddParameter): string {
  const { column, type, nullable } = LOG_FIELDS[filter.field]
  const escaped = filter.value.replace(/[\\%_]/g, character => `\\${character}`)
  const pattern = parameter(filter.function === 'contains' ? `%${escaped}%` : `${escaped}%`)
  // Not case sensitive, as people search names; a UUID is matched in its text form.
  const condition = `${type === 'uuid' ? `${column}::text` : column} ILIKE ${pattern} ESCAPE '\\'`
  return nullable ? `(${condition} AND ${column} IS NOT NULL)` : `(${condition})`
}
