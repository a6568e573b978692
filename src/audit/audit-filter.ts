import type { AuditQuery } from './audit-log.js'

/** A `$filter` we cannot read; `position` is the 1-based character where it goes wrong. */
export class FilterError extends Error {
  constructor (readonly position: number, readonly reason: string) {
    super(`$filter, at character ${position}: ${reason}`)
  }
}

export type AuditFilter = Pick<AuditQuery, 'targetId' | 'activity' | 'result' | 'initiatedBy' | 'from' | 'to'>

interface Token {
  kind: 'name' | 'string' | 'dateTime' | '(' | ')' | ':'
  /** The name or date-time as written, or a string's value with its '' unescaped. */
  text: string
  position: number
}

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
        const at = reader.dateTime()
        if (lower) filter.from = { at, inclusive: op === 'ge' }
        else filter.to = { at, inclusive: op === 'le' }
        break
      }
      case 'targetresources/any':
        once('targetId', property, 'targetResources/any')
        filter.targetId = reader.targetLambda()
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

/** Reads tokens as the grammar asks for them, so the first problem in the text is the one reported. */
class TokenReader {
  private offset = 0

  constructor (private readonly text: string) {}

  next (expected: string): Token {
    const token = this.optional()
    if (token === undefined) throw new FilterError(this.text.length + 1, `expected ${expected}, found the end`)
    return token
  }

  optional (): Token | undefined {
    const token = lexAt(this.text, this.skipSpace())
    if (token !== undefined) this.offset = token.end
    return token?.token
  }

  peekPosition (): number {
    return this.skipSpace() + 1
  }

  private skipSpace (): number {
    while (this.offset < this.text.length && ' \t\r\n'.includes(this.text[this.offset]!)) this.offset++
    return this.offset
  }

  keyword (word: string): void {
    const token = this.next(`'${word}'`)
    if (token.kind !== 'name' || token.text.toLowerCase() !== word.toLowerCase()) {
      throw new FilterError(token.position, `expected '${word}', found ${describe(token)}`)
    }
  }

  punctuation (mark: '(' | ')' | ':'): void {
    const token = this.next(`'${mark}'`)
    if (token.kind !== mark) throw new FilterError(token.position, `expected '${mark}', found ${describe(token)}`)
  }

  string (): string {
    const token = this.next("a quoted string ('…')")
    if (token.kind !== 'string') throw new FilterError(token.position, `expected a quoted string ('…'), found ${describe(token)}`)
    return token.text
  }

  dateTime (): string {
    const token = this.next('a date-time such as 2026-01-31T00:00:00Z')
    if (token.kind === 'string') throw new FilterError(token.position, 'a date-time is written without quotes, such as 2026-01-31T00:00:00Z')
    const at = token.kind === 'dateTime' ? readDateTime(token.text) : undefined
    if (at === undefined) {
      throw new FilterError(token.position, `expected a date-time with its offset, such as 2026-01-31T00:00:00Z or 2026-01-31, found ${describe(token)}`)
    }
    return at
  }

  /** `(t: t/id eq '…')`, Graph's way to ask for entries with a given target; returns the id. */
  targetLambda (): string {
    this.punctuation('(')
    const variable = this.next('a variable name')
    if (variable.kind !== 'name' || variable.text.includes('/')) throw new FilterError(variable.position, `expected a variable name such as t, found ${describe(variable)}`)
    this.punctuation(':')
    const path = this.next(`'${variable.text}/id'`)
    if (path.kind !== 'name' || path.text.toLowerCase() !== `${variable.text}/id`.toLowerCase()) {
      throw new FilterError(path.position, `expected '${variable.text}/id' (only a target's id can be filtered on), found ${describe(path)}`)
    }
    this.keyword('eq')
    const id = this.string()
    this.punctuation(')')
    return id
  }
}

function describe (token: Token): string {
  if (token.kind === 'string') return `the string '${token.text.replaceAll("'", "''")}'`
  return `'${token.text}'`
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\/[A-Za-z_][A-Za-z0-9_]*)*/y
const DATE_TIME = /[0-9][0-9A-Za-z:.+-]*/y

/** The token that starts at `offset` and where it ends; undefined at the end of the text. */
function lexAt (text: string, offset: number): { token: Token, end: number } | undefined {
  if (offset >= text.length) return undefined
  const c = text[offset]!
  const position = offset + 1
  if (c === '(' || c === ')' || c === ':') return { token: { kind: c, text: c, position }, end: offset + 1 }
  if (c === "'") {
    let value = ''
    let i = offset + 1
    for (;;) {
      if (i >= text.length) throw new FilterError(position, 'the string that starts here is not closed with a quote')
      if (text[i] === "'") {
        if (text[i + 1] !== "'") return { token: { kind: 'string', text: value, position }, end: i + 1 }
        value += "'"
        i += 2
      } else {
        value += text[i]
        i++
      }
    }
  }
  const name = matchAt(NAME, text, offset)
  if (name !== undefined) return { token: { kind: 'name', text: name, position }, end: offset + name.length }
  const dateTime = matchAt(DATE_TIME, text, offset)
  if (dateTime !== undefined) return { token: { kind: 'dateTime', text: dateTime, position }, end: offset + dateTime.length }
  throw new FilterError(position, `unexpected '${c}'`)
}

function matchAt (pattern: RegExp, text: string, index: number): string | undefined {
  pattern.lastIndex = index
  return pattern.exec(text)?.[0]
}

const DATE_TIME_PARTS = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?(Z|[+-](\d{2}):(\d{2})))?$/i

/**
 * An ISO 8601 date-time with its offset (or a date, read as midnight UTC), checked against
 * the calendar: JavaScript would roll 2026-02-30 over into March and PostgreSQL refuses
 * it (and year 0) with an error, so neither may reach a query. Returns the text as
 * PostgreSQL reads it, keeping fractions of a millisecond.
 */
export function readDateTime (text: string): string | undefined {
  const parts = DATE_TIME_PARTS.exec(text)
  if (parts === null) return undefined
  const [, year, month, day, hour = '0', minute = '0', second = '0', zone, offsetHours = '0', offsetMinutes = '0'] = parts
  const y = Number(year)
  const m = Number(month)
  const valid = y >= 1 && m >= 1 && m <= 12 && Number(day) >= 1 && Number(day) <= daysInMonth(y, m) &&
    Number(hour) <= 23 && Number(minute) <= 59 && Number(second) <= 59 && Number(offsetHours) <= 14 && Number(offsetMinutes) <= 59
  if (!valid) return undefined
  return zone === undefined ? `${text}T00:00:00Z` : text.toUpperCase()
}

function daysInMonth (year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}
