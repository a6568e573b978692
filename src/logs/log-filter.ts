import { describeToken, FilterError, readDateTime, TokenReader, type Token } from '../odata/filter-lexer.js'
import { FILTER_PROPERTIES, LOG_FIELDS, type LogField } from './log-fields.js'

export { FilterError }

export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'
export type MatchFunction = 'contains' | 'startswith'

/**
 * A parsed `$filter`. Values are normalized for their field: date-times as PostgreSQL reads
 * them, UUIDs in lower case, enum values as Graph spells them; `null` only with eq and ne.
 */
export type LogFilter =
  | { kind: 'and' | 'or', operands: LogFilter[] }
  | { kind: 'not', operand: LogFilter }
  | { kind: 'compare', field: LogField, operator: ComparisonOperator, value: string | null }
  | { kind: 'match', field: LogField, function: MatchFunction, value: string }

const COMPARISONS: readonly ComparisonOperator[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le']
const FUNCTIONS: readonly MatchFunction[] = ['contains', 'startswith']

/** Parentheses and `not`s nest at most this deep; the parser recurses once per level. */
const MAX_DEPTH = 16
/** Comparisons and function calls per filter, so one request cannot ask for an unbounded query. */
const MAX_CONDITIONS = 64

const PROPERTY_NAMES = [...FILTER_PROPERTIES.values()].map(property => property.name).join(', ')

export const LOG_FILTER_SUPPORTED = `properties ${PROPERTY_NAMES}; ` +
  "operators eq, ne, gt, ge, lt, le; contains(property, 'text') and startswith(property, 'text'); and, or, not, parentheses"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Reads a provisioning-log `$filter` by recursive descent:
 *
 *   filter     = or-expr
 *   or-expr    = and-expr *( "or" and-expr )
 *   and-expr   = unary *( "and" unary )
 *   unary      = "not" unary / primary
 *   primary    = "(" or-expr ")" / function / comparison
 *   function   = ( "contains" / "startswith" ) "(" property "," string ")"
 *   comparison = property ( "eq" / "ne" / "gt" / "ge" / "lt" / "le" ) value
 *   value      = string / date-time / "null"
 *
 * so `not` binds tighter than `and`, and `and` tighter than `or`, as in OData. Property
 * names, operators and keywords are not case sensitive; strings are single-quoted with ''
 * for a quote; date-times are ISO 8601 with an offset, unquoted as OData writes them or
 * quoted. What the reader does not know is refused with its position and what it supports;
 * the result is a tree whose values only ever become query parameters.
 */
export function parseLogFilter (text: string): LogFilter {
  const parser = new LogFilterParser(new TokenReader(text))
  return parser.filter()
}

class LogFilterParser {
  private conditions = 0

  constructor (private readonly reader: TokenReader) {}

  filter (): LogFilter {
    const filter = this.or(0)
    const extra = this.reader.optional()
    if (extra !== undefined) {
      throw new FilterError(extra.position, `expected 'and', 'or' or the end, found ${describeToken(extra)}`)
    }
    return filter
  }

  private or (depth: number): LogFilter {
    const operands = [this.and(depth)]
    while (this.reader.accept('or')) operands.push(this.and(depth))
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands }
  }

  private and (depth: number): LogFilter {
    const operands = [this.unary(depth)]
    while (this.reader.accept('and')) operands.push(this.unary(depth))
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands }
  }

  private unary (depth: number): LogFilter {
    const start = this.reader.peekPosition()
    if (!this.reader.accept('not')) return this.primary(depth)
    return { kind: 'not', operand: this.unary(this.deeper(depth, start)) }
  }

  private primary (depth: number): LogFilter {
    const token = this.reader.next('a condition such as jobId eq \'…\'')
    if (token.kind === '(') {
      const inner = this.or(this.deeper(depth, token.position))
      this.reader.punctuation(')')
      return inner
    }
    if (token.kind !== 'name') {
      throw new FilterError(token.position, `expected a condition, found ${describeToken(token)}; supported: ${LOG_FILTER_SUPPORTED}`)
    }
    this.count(token)
    if (this.reader.peek()?.kind === '(') return this.functionCall(token)
    return this.comparison(token)
  }

  private functionCall (name: Token): LogFilter {
    const fn = name.text.toLowerCase() as MatchFunction
    if (!FUNCTIONS.includes(fn)) throw new FilterError(name.position, `'${name.text}' is not a supported function; supported: contains, startswith`)
    this.reader.punctuation('(')
    const propertyToken = this.reader.next('a property')
    const field = this.property(propertyToken)
    const type = LOG_FIELDS[field].type
    if (type !== 'text' && type !== 'uuid') {
      throw new FilterError(propertyToken.position, `${name.text} works on text and id properties, not on ${propertyToken.text}; use eq or ne`)
    }
    this.reader.punctuation(',')
    const valueToken = this.reader.next("a quoted string ('…')")
    if (valueToken.kind !== 'string') throw new FilterError(valueToken.position, `${name.text} takes a quoted string ('…'), found ${describeToken(valueToken)}`)
    this.reader.punctuation(')')
    return { kind: 'match', field, function: fn, value: type === 'uuid' ? valueToken.text.toLowerCase() : valueToken.text }
  }

  private comparison (propertyToken: Token): LogFilter {
    const field = this.property(propertyToken)
    const definition = LOG_FIELDS[field]
    const operatorToken = this.reader.next(`an operator after ${propertyToken.text} (eq, ne, gt, ge, lt, le)`)
    const operator = operatorToken.text.toLowerCase() as ComparisonOperator
    if (operatorToken.kind !== 'name' || !COMPARISONS.includes(operator)) {
      throw new FilterError(operatorToken.position, `expected an operator (eq, ne, gt, ge, lt, le) after ${propertyToken.text}, found ${describeToken(operatorToken)}`)
    }
    if (definition.type === 'enum' && operator !== 'eq' && operator !== 'ne') {
      throw new FilterError(operatorToken.position, `${propertyToken.text} takes eq or ne, not '${operatorToken.text}'`)
    }
    const valueToken = this.reader.next('a value')
    if (valueToken.kind === 'name' && valueToken.text.toLowerCase() === 'null') {
      if (operator !== 'eq' && operator !== 'ne') throw new FilterError(valueToken.position, `null can only be compared with eq or ne, not '${operatorToken.text}'`)
      return { kind: 'compare', field, operator, value: null }
    }
    return { kind: 'compare', field, operator, value: this.value(propertyToken.text, field, valueToken) }
  }

  private value (propertyName: string, field: LogField, token: Token): string {
    const definition = LOG_FIELDS[field]
    if (definition.type === 'dateTime') return this.dateTime(token)
    if (token.kind !== 'string') throw new FilterError(token.position, `expected a quoted string ('…') or null, found ${describeToken(token)}`)
    if (definition.type === 'uuid') {
      if (!UUID.test(token.text)) {
        throw new FilterError(token.position, `${propertyName} holds UUIDs such as '0b6e5f0c-1d2e-4f3a-9b8c-7d6e5f4a3b2c', not ${describeToken(token)}; contains and startswith match part of one`)
      }
      return token.text.toLowerCase()
    }
    if (definition.type === 'enum') {
      const values = definition.values ?? []
      const canonical = values.find(value => value.toLowerCase() === token.text.toLowerCase())
      if (canonical === undefined) throw new FilterError(token.position, `${propertyName} is one of ${values.map(value => `'${value}'`).join(', ')}, not ${describeToken(token)}`)
      return canonical
    }
    return token.text
  }

  /** OData writes date-times unquoted; a quoted one is read too, since clients send both. */
  private dateTime (token: Token): string {
    const at = token.kind === 'dateTime' || token.kind === 'string' ? readDateTime(token.text) : undefined
    if (at !== undefined) return at
    // An unencoded '+' in a URL's query reads as a space: 10:00:00+02:00 arrives as "10:00:00 02:00".
    const plusAsSpace = token.kind === 'dateTime' && /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(token.text) && /^ \d{2}:\d{2}/.test(this.reader.rest())
    throw new FilterError(token.position, `expected a date-time with its offset, such as 2026-01-31T00:00:00Z or 2026-01-31, found ${describeToken(token)}` +
      (plusAsSpace ? "; a '+' in a URL's query reads as a space, so write the offset's + as %2B" : ''))
  }

  private property (token: Token): LogField {
    const property = token.kind === 'name' ? FILTER_PROPERTIES.get(token.text.toLowerCase()) : undefined
    if (property === undefined) throw new FilterError(token.position, `${describeToken(token)} cannot be filtered on; supported: ${LOG_FILTER_SUPPORTED}`)
    return property.field
  }

  private deeper (depth: number, position: number): number {
    if (depth + 1 > MAX_DEPTH) throw new FilterError(position, `parentheses and not nest at most ${MAX_DEPTH} deep`)
    return depth + 1
  }

  private count (token: Token): void {
    this.conditions++
    if (this.conditions > MAX_CONDITIONS) throw new FilterError(token.position, `a filter holds at most ${MAX_CONDITIONS} conditions`)
  }
}
