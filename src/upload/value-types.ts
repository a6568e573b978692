import type { ValueType } from './scim-attributes.js'

export type Scalar = string | number | boolean
export type Converted = { ok: true, value: Scalar } | { ok: false, reason: string }

const TRUE = new Set(['true', 'yes', 'y', '1'])
const FALSE = new Set(['false', 'no', 'n', '0'])
const INTEGER = /^[+-]?\d+$/
/** The dates the service accepts for dateTime extension attributes (ISO 8601). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$/

/** Turns a CSV text (or a mapping's literal) into the JSON value a SCIM attribute of that type takes. */
export function convertValue (value: Scalar, type: ValueType): Converted {
  switch (type) {
    case 'string':
      return { ok: true, value: String(value) }
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, value }
      const text = String(value).trim().toLowerCase()
      if (TRUE.has(text)) return { ok: true, value: true }
      if (FALSE.has(text)) return { ok: true, value: false }
      return { ok: false, reason: `${JSON.stringify(value)} is not a boolean (true/false, yes/no, 1/0)` }
    }
    case 'integer': {
      const number = typeof value === 'number' ? value : INTEGER.test(String(value).trim()) ? Number(String(value).trim()) : NaN
      if (Number.isSafeInteger(number)) return { ok: true, value: number }
      return { ok: false, reason: `${JSON.stringify(value)} is not a whole number` }
    }
    case 'dateTime': {
      const text = String(value).trim()
      if (DATE_TIME.test(text) && !Number.isNaN(Date.parse(text))) return { ok: true, value: text }
      return { ok: false, reason: `${JSON.stringify(value)} is not an ISO 8601 date such as 2024-01-31 or 2024-01-31T09:00:00Z` }
    }
  }
}

export function conversionProblem (value: Scalar, type: ValueType): string | undefined {
  const converted = convertValue(value, type)
  return converted.ok ? undefined : converted.reason
}
