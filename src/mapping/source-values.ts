import type { Value } from '../expressions/values.js'

/** A SCIM value as the expression language sees it: text, number, boolean or a list of texts. */
export function toValue (raw: unknown): Value {
  if (raw === undefined || raw === null) return null
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw
  if (Array.isArray(raw)) {
    return raw.flatMap(item => {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return [String(item)]
      // A list of complex values (emails) reads as their `value` members.
      if (item !== null && typeof item === 'object' && typeof (item as { value?: unknown }).value === 'string') return [(item as { value: string }).value]
      return []
    })
  }
  return null
}
