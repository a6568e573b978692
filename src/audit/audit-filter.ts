import type { AuditQuery } from './audit-log.js'
import { describeToken as describe, FilterError, readDateTime, TokenReader, type Token } from '../odata/filter-lexer.js'

export { FilterError, readDateTime }

export type AuditFilter = Pick<AuditQuery, 'targetId' | 'activity' | 'result' | 'initiatedBy' | 'from' | 'to'>

export const SUPPORTED_FILTERS = "activityDisplayName eq '…', targetResources/any(t: t/id eq '…'), activityDateTime ge|gt|le|lt <date-time>, " +
  "result eq 'success'|'failure' and initiatedBy/app/appId eq '…', joined with and"

/**
 * Reads the `$filter` forms the audit log supports:
 *
 *   filter    = condition *( "and" condition )
 *   condition = "activityDisplayName" "eq" string
 *             / "targetResources/any" "(" var ":" var "/id" "eq" string ")"
 *             / "activityDateTime" ( "ge" / "gt" / "le" / "lt" ) date-time
 *             / "result" "eq" ( "'success'" / "'failure'" )
 *             / "initiatedBy/app/appId" "eq" string
 *
 * Names and operators are not case sensitive; strings are single-quoted with '' for a quote.
 * Each condition may appear once (a time range takes one lower and one upper bound). The
 * reader is strict on purpose: what it does not know is refused with where and what was
 * expected, and values only ever become query parameters, never query text.
 */
export function parseAuditFilter (text: string): AuditFilter {
  const reader = new TokenReader(text)
  const filter: AuditFilter = {}
  const seen = new Map<keyof AuditFilter, number>()
  const once = (key: keyof AuditFilter, at: Token, what: string): void => {
    const earlier = seen.get(key)
    if (earlier !== undefined) throw new FilterError(at.position, `${what} is already given at character ${earlier}; each condition may appear once`)
    seen.set(key, at.position)
  }

  for (;;) {
    const property = reader.next('a property such as activityDisplayName')
    if (property.kind !== 'name') throw new FilterError(property.position, `expected a property, found ${describe(property)}; supported: ${SUPPORTED_FILTERS}`)
    switch (property.text.toLowerCase()) {
      case 'activitydisplayname':
        once('activity', property, 'activityDisplayName')
        reader.keyword('eq')
        filter.activity = reader.string()
        break
      case 'initiatedby/app/appid':
        once('initiatedBy', property, 'initiatedBy/app/appId')
        reader.keyword('eq')
        filter.initiatedBy = reader.string()
        break
      case 'result': {
        once('result', property, 'result')
        reader.keyword('eq')
        const value = reader.peekPosition()
        const result = reader.string().toLowerCase()
        if (result !== 'success' && result !== 'failure') throw new FilterError(value, "result is 'success' or 'failure'")
        filter.result = result
        break
      }
      case 'activitydatetime': {
        const operator = reader.next('ge, gt, le or lt')
        const op = operator.text.toLowerCase()
        if (operator.kind !== 'name' || !['ge', 'gt', 'le', 'lt'].includes(op)) {
          throw new FilterError(operator.position, `activityDateTime takes ge, gt, le or lt, not ${describe(operator)}`)
        }
        const lower = op.startsWith('g')
        once(lower ? 'from' : 'to', property, lower ? 'A lower bound on activityDateTime (ge or gt)' : 'An upper bound on activityDateTime (le or lt)')
        const at = readStrictDateTime(reader)
        if (lower) filter.from = { at, inclusive: op === 'ge' }
        else filter.to = { at, inclusive: op === 'le' }
        break
      }
      case 'targetresources/any':
        once('targetId', property, 'targetResources/any')
        filter.targetId = readTargetLambda(reader)
        break
      default:
        throw new FilterError(property.position, `'${property.text}' cannot be filtered on; supported: ${SUPPORTED_FILTERS}`)
    }
    const joiner = reader.optional()
    if (joiner === undefined) return filter
    if (joiner.kind !== 'name' || joiner.text.toLowerCase() !== 'and') {
      throw new FilterError(joiner.position, `expected 'and' or the end, found ${describe(joiner)} (only and joins conditions)`)
    }
  }
}

/** An unquoted date-time: the audit reader keeps to the form Graph documents. */
function readStrictDateTime (reader: TokenReader): string {
  const token = reader.next('a date-time such as 2026-01-31T00:00:00Z')
  if (token.kind === 'string') throw new FilterError(token.position, 'a date-time is written without quotes, such as 2026-01-31T00:00:00Z')
  const at = token.kind === 'dateTime' ? readDateTime(token.text) : undefined
  if (at === undefined) {
    throw new FilterError(token.position, `expected a date-time with its offset, such as 2026-01-31T00:00:00Z or 2026-01-31, found ${describe(token)}`)
  }
  return at
}

/** `(t: t/id eq '…')`, Graph's way to ask for entries with a given target; returns the id. */
function readTargetLambda (reader: TokenReader): string {
  reader.punctuation('(')
  const variable = reader.next('a variable name')
  if (variable.kind !== 'name' || variable.text.includes('/')) throw new FilterError(variable.position, `expected a variable name such as t, found ${describe(variable)}`)
  reader.punctuation(':')
  const path = reader.next(`'${variable.text}/id'`)
  if (path.kind !== 'name' || path.text.toLowerCase() !== `${variable.text}/id`.toLowerCase()) {
    throw new FilterError(path.position, `expected '${variable.text}/id' (only a target's id can be filtered on), found ${describe(path)}`)
  }
  reader.keyword('eq')
  const id = reader.string()
  reader.punctuation(')')
  return id
}
