/**
 * What an expression computes: absent (null), a string, a number, a boolean (shown as
 * "True"/"False", as .NET prints them) or a multi-valued attribute's values.
 */
export type Value = string | number | boolean | string[] | null

export function isNullOrEmpty (value: Value): boolean {
  return value === null || value === '' || (Array.isArray(value) && value.length === 0)
}

/** The text of a value; a multi-valued one reads as its first value. */
export function text (value: Value): string | null {
  if (value === null) return null
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (Array.isArray(value)) return value[0] ?? null
  return String(value)
}

export function values (value: Value): string[] {
  if (value === null) return []
  if (Array.isArray(value)) return value
  return [text(value)!]
}

/** "True"/"False" (any case), true/false, or a number (non-zero is true), as CBool reads them. */
export function truth (value: Value): boolean | null {
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return value !== 0
  const t = text(value)
  if (t === null) return null
  const lower = t.trim().toLowerCase()
  if (lower === 'true') return true
  if (lower === 'false') return false
  const n = Number(lower)
  return lower !== '' && !Number.isNaN(n) ? n !== 0 : null
}

export function integer (value: Value, what: string): number {
  const n = typeof value === 'number' ? value : Number(text(value))
  if (!Number.isInteger(n)) throw new TypeError(`${what} must be a whole number, not ${JSON.stringify(text(value))}`)
  return n
}
