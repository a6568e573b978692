import type { AuditQuery } from './audit-log.js'

/** A `$filter` we cannot read; `position` is the 1-based character where it goes wrong. */
export class FilterError extends Error {
  constructor (readonly position: number, message: string) {
    super(`$filter, at character ${position}: ${message}`)
  }
}

type Token = { kind: 'word' | 'string' | 'punct', text: string, position: number }

export type AuditFilter = Pick<AuditQuery, 'targetId' | 'activity' | 'result' | 'initiatedBy' | 'from' | 'to'>

const SUPPORTED = "activityDisplayName eq '…', result eq 'success'|'failure', initiatedBy/app/appId eq '…', " +
  "activityDateTime ge|gt|le|lt <date-time>, targetResources/any(t: t/id eq '…'), joined with and"

/**
 * Reads the `$filter` forms the audit log supports into query conditions. A strict reader:
 * anything else is refused with where and what was expected, and values only ever become
 * query parameters.
 */
export function parseAuditFilter (text: string): AuditFilter {
  const tokens = tokenize(text)
  const filter: AuditFilter = {}
  let i = 0
  const next = (expected: string): Token => {
    const token = tokens[i++]
    if (token === undefined) throw new FilterError(text.length + 1, `expected ${expected}, found the end`)
    return token
  }
  const expect = (text: string): void => {
    const token = next(`'${text}'`)
    if (token.text.toLowerCase() !== text.toLowerCase()) throw new FilterError(token.position, `expected '${text}', found '${token.text}'`)
  }
  const stringValue = (): string => {
    const token = next('a quoted string')
    if (token.kind !== 'string') throw new FilterError(token.position, `expected a quoted string ('…'), found '${token.text}'`)
    return token.text
  }
  for (;;) {
    const property = next('a property')
    const name = property.text.toLowerCase()
    if (name === 'activitydisplayname') {
      expect('eq'); filter.activity = stringValue()
    } else if (name === 'result') {
      expect('eq')
      const value = stringValue()
      if (value !== 'success' && value !== 'failure') throw new FilterError(property.position, `result is 'success' or 'failure', not '${value}'`)
      filter.result = value
    } else if (name === 'initiatedby/app/appid') {
      expect('eq'); filter.initiatedBy = stringValue()
    } else if (name === 'activitydatetime') {
      const operator = next('ge, gt, le or lt')
      const op = operator.text.toLowerCase()
      if (!['ge', 'gt', 'le', 'lt'].includes(op)) throw new FilterError(operator.position, `activityDateTime takes ge, gt, le or lt, not '${operator.text}'`)
      const value = next('a date-time')
      const at = new Date(value.text)
      if (value.kind !== 'word' || !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value.text) || Number.isNaN(at.getTime())) {
        throw new FilterError(value.position, `expected a date-time such as 2026-01-31T00:00:00Z, found '${value.text}'`)
      }
      if (op.startsWith('g')) filter.from = { at, inclusive: op === 'ge' }
      else filter.to = { at, inclusive: op === 'le' }
    } else if (name === 'targetresources/any') {
      expect('(')
      const variable = next('a variable').text
      expect(':')
      expect(`${variable}/id`)
      expect('eq')
      filter.targetId = stringValue()
      expect(')')
    } else {
      throw new FilterError(property.position, `'${property.text}' cannot be filtered on; supported: ${SUPPORTED}`)
    }
    const joiner = tokens[i++]
    if (joiner === undefined) return filter
    if (joiner.text.toLowerCase() !== 'and') throw new FilterError(joiner.position, `expected 'and' or the end, found '${joiner.text}'`)
  }
}

function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) { i++; continue }
    if (c === '(' || c === ')' || c === ':') { tokens.push({ kind: 'punct', text: c, position: i + 1 }); i++; continue }
    if (c === "'") {
      let value = ''
      let j = i + 1
      for (;;) {
        if (j >= text.length) throw new FilterError(i + 1, 'a string is not closed')
        if (text[j] === "'") {
          if (text[j + 1] === "'") { value += "'"; j += 2; continue }
          break
        }
        value += text[j]; j++
      }
      tokens.push({ kind: 'string', text: value, position: i + 1 })
      i = j + 1
      continue
    }
    const start = i
    while (i < text.length && /[A-Za-z0-9_/.:+-]/.test(text[i]!) && !(text[i] === ':' && !/\d/.test(text[i - 1] ?? ''))) i++
    if (i === start) throw new FilterError(i + 1, `unexpected '${c}'`)
    tokens.push({ kind: 'word', text: text.slice(start, i), position: start + 1 })
  }
  return tokens
}
