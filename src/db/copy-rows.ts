import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { from as copyFrom } from 'pg-copy-streams'
import type { DbClient } from './pool.js'

/**
 * Fields of COPY's text format: tabs between fields, a newline after each row, `\N` for
 * null, and a backslash, tab, newline or carriage return inside a value escaped.
 */
export const NULL_FIELD = '\\N'

const NEEDS_ESCAPE = /[\\\t\n\r]/
const ESCAPED = /[\\\t\n\r]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** Any text, client data included. */
export function copyText (value: string | null | undefined): string {
  if (value === null || value === undefined) return NULL_FIELD
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, character => ESCAPES[character]!) : value
}

/** JSON text as JSON.stringify makes it: control characters are already escaped there, only backslashes remain. */
export function copyJson (json: string): string {
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json
}

/** A text[] value: every element quoted, so commas, braces, spaces and the word NULL stay text. */
export function copyTextArray (values: readonly string[]): string {
  return copyText(`{${values.map(value => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`)
}

/** Our own values that never hold a tab, newline or backslash: ids, numbers, names of states. */
export function copyPlain (value: string | number | null | undefined): string {
  return value === null || value === undefined ? NULL_FIELD : String(value)
}

/**
 * Writes rows with `COPY … FROM STDIN`, in the caller's transaction. For hundreds of rows
 * at once this is the cheapest way into PostgreSQL: it splits the text on tabs and
 * newlines, where rows sent as one JSON parameter were parsed twice (once to check the
 * JSON, once to read it).
 */
export async function copyRows (client: DbClient, table: string, columns: readonly string[], text: string): Promise<void> {
  if (text === '') return
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`))
  await pipeline(Readable.from([Buffer.from(text, 'utf8')]), stream)
}
