/**
 * The pieces every `$filter` reader shares: tokens, a reader that hands them out as a
 * grammar asks for them, the error that names the 1-based character where the text goes
 * wrong, and the calendar check of date-times. Each log has its own grammar on top.
 */

/** A `$filter` we cannot read; `position` is the 1-based character where it goes wrong. */
export class FilterError extends Error {
  constructor (readonly position: number, readonly reason: string) {
    super(`$filter, at character ${position}: ${reason}`)
  }
}

export type Punctuation = '(' | ')' | ':' | ','

export interface Token {
  kind: 'name' | 'string' | 'dateTime' | Punctuation
  /** The name or date-time as written, or a string's value with its '' unescaped. */
  text: string
  position: number
}

/** A token as an error message names it. */
export function describeToken (token: Token): string {
  if (token.kind === 'string') return `the string '${token.text.replaceAll("'", "''")}'`
  return `'${token.text}'`
}

/**
 * Reads tokens as a grammar asks for them, so the first problem in the text is the one
 * reported. Names, operators and keywords compare without regard to case.
 */
export class TokenReader {
  private offset = 0

  constructor (readonly text: string) {}

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

  /** The next token without taking it; undefined at the end. */
  peek (): Token | undefined {
    return lexAt(this.text, this.skipSpace())?.token
  }

  /** Whether the next token is the name `word`; takes it when it is. */
  accept (word: string): boolean {
    const token = this.peek()
    if (token?.kind !== 'name' || token.text.toLowerCase() !== word.toLowerCase()) return false
    this.optional()
    return true
  }

  peekPosition (): number {
    return this.skipSpace() + 1
  }

  /** The text after the current position, unread. */
  rest (): string {
    return this.text.slice(this.offset)
  }

  keyword (word: string): void {
    const token = this.next(`'${word}'`)
    if (token.kind !== 'name' || token.text.toLowerCase() !== word.toLowerCase()) {
      throw new FilterError(token.position, `expected '${word}', found ${describeToken(token)}`)
    }
  }

  punctuation (mark: Punctuation): void {
    const token = this.next(`'${mark}'`)
    if (token.kind !== mark) throw new FilterError(token.position, `expected '${mark}', found ${describeToken(token)}`)
  }

  string (): string {
    const token = this.next("a quoted string ('…')")
    if (token.kind !== 'string') throw new FilterError(token.position, `expected a quoted string ('…'), found ${describeToken(token)}`)
    return token.text
  }

  private skipSpace (): number {
    while (this.offset < this.text.length && ' \t\r\n'.includes(this.text[this.offset]!)) this.offset++
    return this.offset
  }
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\/[A-Za-z_][A-Za-z0-9_]*)*/y
const DATE_TIME = /[0-9][0-9A-Za-z:.+-]*/y
const PUNCTUATION = new Set(['(', ')', ':', ','])

/** The token that starts at `offset` and where it ends; undefined at the end of the text. */
function lexAt (text: string, offset: number): { token: Token, end: number } | undefined {
  if (offset >= text.length) return undefined
  const c = text[offset]!
  const position = offset + 1
  if (PUNCTUATION.has(c)) return { token: { kind: c as Punctuation, text: c, position }, end: offset + 1 }
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
