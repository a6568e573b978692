/**
 * Dates as Entra's functions see them: parsed leniently from ISO 8601 and .NET custom
 * formats, printed in .NET's "M/d/yyyy h:mm:ss tt" unless a format is given. All in UTC.
 */

export const DEFAULT_DATE_FORMAT = 'M/d/yyyy h:mm:ss tt'

/** Ticks between 1601-01-01 (Windows FILETIME epoch) and 1970-01-01, in milliseconds. */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000

export function fromFileTime (value: number): Date {
  return new Date(value / 10_000 - FILETIME_EPOCH_OFFSET_MS)
}

export function toFileTime (date: Date): number {
  return (date.getTime() + FILETIME_EPOCH_OFFSET_MS) * 10_000
}

/** ISO 8601, "M/d/yyyy h:mm:ss tt", or anything Date reads unambiguously; UTC when no zone is given. */
export function parseDate (input: string): Date | null {
  const trimmed = input.trim()
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$/.exec(trimmed)
  if (us !== null) {
    let hour = Number(us[4] ?? 0)
    if (us[7] !== undefined) hour = (hour % 12) + (us[7].toLowerCase() === 'pm' ? 12 : 0)
    return validDate(Date.UTC(Number(us[3]), Number(us[1]) - 1, Number(us[2]), hour, Number(us[5] ?? 0), Number(us[6] ?? 0)))
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(trimmed)
  if (iso === null) return null
  const ms = iso[7] === undefined ? 0 : Number(iso[7].slice(0, 3).padEnd(3, '0'))
  const utc = Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]), Number(iso[4] ?? 0), Number(iso[5] ?? 0), Number(iso[6] ?? 0), ms)
  const zone = iso[8]
  if (zone === undefined || zone === 'Z') return validDate(utc)
  const sign = zone.startsWith('-') ? -1 : 1
  const [hh, mm] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))]
  return validDate(utc - sign * (hh * 60 + mm) * 60_000)
}

function validDate (ms: number): Date | null {
  return Number.isNaN(ms) ? null : new Date(ms)
}

const TOKEN = /yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|fffffff|ffffff|fffff|ffff|fff|ff|f|tt|t|zzz|zz|z|K|'[^']*'|"[^"]*"|\\.|./g
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

/** Prints a date with a .NET custom format (or "o", "s", "u", the standard round-trip and sortable ones). */
export function formatDate (date: Date, format = DEFAULT_DATE_FORMAT): string {
  if (format === 'o' || format === 'O') return date.toISOString().replace('Z', '0000Z')
  if (format === 's') return date.toISOString().slice(0, 19)
  if (format === 'u') return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0')
  const hour12 = date.getUTCHours() % 12 === 0 ? 12 : date.getUTCHours() % 12
  return format.replace(TOKEN, token => {
    switch (token) {
      case 'yyyy': return pad(date.getUTCFullYear(), 4)
      case 'yy': return pad(date.getUTCFullYear() % 100)
      case 'MMMM': return MONTHS[date.getUTCMonth()]!
      case 'MMM': return MONTHS[date.getUTCMonth()]!.slice(0, 3)
      case 'MM': return pad(date.getUTCMonth() + 1)
      case 'M': return String(date.getUTCMonth() + 1)
      case 'dddd': return DAYS[date.getUTCDay()]!
      case 'ddd': return DAYS[date.getUTCDay()]!.slice(0, 3)
      case 'dd': return pad(date.getUTCDate())
      case 'd': return String(date.getUTCDate())
      case 'HH': return pad(date.getUTCHours())
      case 'H': return String(date.getUTCHours())
      case 'hh': return pad(hour12)
      case 'h': return String(hour12)
      case 'mm': return pad(date.getUTCMinutes())
      case 'm': return String(date.getUTCMinutes())
      case 'ss': return pad(date.getUTCSeconds())
      case 's': return String(date.getUTCSeconds())
      case 'tt': return date.getUTCHours() < 12 ? 'AM' : 'PM'
      case 't': return date.getUTCHours() < 12 ? 'A' : 'P'
      case 'zzz': return '+00:00'
      case 'zz': return '+00'
      case 'z': return '+0'
      case 'K': return 'Z'
      default:
        if (token.startsWith('f')) return pad(date.getUTCMilliseconds(), 3).padEnd(7, '0').slice(0, token.length)
        if (token.startsWith("'") || token.startsWith('"')) return token.slice(1, -1)
        if (token.startsWith('\\')) return token.slice(1)
        return token
    }
  })
}

/** A longer input format is refused: it is compiled to a regular expression. */
const MAX_INPUT_FORMAT = 64
/** Variable-width fields (d, M, names, …) a format may hold: adjacent ones backtrack, so their number is bounded. */
const MAX_VARIABLE_FIELDS = 8

/** Reads a date written in a .NET custom format (the specifiers formatDate prints). */
export function parseDateWithFormat (input: string, format: string): Date | null {
  if (format.length > MAX_INPUT_FORMAT) throw new Error(`an input format has at most ${MAX_INPUT_FORMAT} characters`)
  const fields: string[] = []
  let variable = 0
  const pattern = format.replace(TOKEN, token => {
    if (/^(d|M|H|h|m|s|ddd|dddd|MMM|MMMM|t|tt|z|zz|zzz|K)$/.test(token) && ++variable > MAX_VARIABLE_FIELDS) {
      throw new Error(`an input format has at most ${MAX_VARIABLE_FIELDS} variable-width fields (d, M, H, h, m, s, day and month names, AM/PM, zones)`)
    }
    switch (token) {
      case 'yyyy': fields.push('year'); return '(\\d{4})'
      case 'yy': fields.push('year2'); return '(\\d{2})'
      case 'MMMM': case 'MMM': fields.push('monthName'); return '([A-Za-z]{3,9})'
      case 'MM': fields.push('month'); return '(\\d{2})'
      case 'M': fields.push('month'); return '(\\d{1,2})'
      case 'dddd': case 'ddd': fields.push('dayName'); return '([A-Za-z]{3,9})'
      case 'dd': fields.push('day'); return '(\\d{2})'
      case 'd': fields.push('day'); return '(\\d{1,2})'
      case 'HH': fields.push('hour'); return '(\\d{2})'
      case 'H': fields.push('hour'); return '(\\d{1,2})'
      case 'hh': fields.push('hour12'); return '(\\d{2})'
      case 'h': fields.push('hour12'); return '(\\d{1,2})'
      case 'mm': fields.push('minute'); return '(\\d{2})'
      case 'm': fields.push('minute'); return '(\\d{1,2})'
      case 'ss': fields.push('second'); return '(\\d{2})'
      case 's': fields.push('second'); return '(\\d{1,2})'
      case 'tt': case 't': fields.push('ampm'); return '([AaPp][Mm]?)'
      case 'zzz': case 'zz': case 'z': case 'K': fields.push('zone'); return '(Z|[+-]\\d{1,2}(?::?\\d{2})?)?'
      default:
        if (token.startsWith('f')) { fields.push('fraction'); return `(\\d{${token.length}})` }
        if (token.startsWith("'") || token.startsWith('"')) return escapeRegExp(token.slice(1, -1))
        if (token.startsWith('\\')) return escapeRegExp(token.slice(1))
        return escapeRegExp(token)
    }
  })
  const match = new RegExp(`^\\s*${pattern}\\s*$`).exec(input)
  if (match === null) return null
  const parts: Record<string, string> = {}
  fields.forEach((field, index) => { if (match[index + 1] !== undefined) parts[field] = match[index + 1]! })
  const year = parts.year !== undefined ? Number(parts.year) : parts.year2 !== undefined ? 2000 + Number(parts.year2) : 1
  const month = parts.month !== undefined ? Number(parts.month) - 1 : parts.monthName !== undefined ? MONTHS.findIndex(m => m.toLowerCase().startsWith(parts.monthName!.toLowerCase().slice(0, 3))) : 0
  let hour = Number(parts.hour ?? parts.hour12 ?? 0)
  if (parts.ampm !== undefined) hour = (hour % 12) + (parts.ampm.toLowerCase().startsWith('p') ? 12 : 0)
  const ms = parts.fraction === undefined ? 0 : Number(parts.fraction.slice(0, 3).padEnd(3, '0'))
  let utc = Date.UTC(year, month, Number(parts.day ?? 1), hour, Number(parts.minute ?? 0), Number(parts.second ?? 0), ms)
  if (parts.zone !== undefined && parts.zone !== 'Z') {
    const sign = parts.zone.startsWith('-') ? -1 : 1
    const digits = parts.zone.slice(1).replace(':', '')
    const hh = Number(digits.length <= 2 ? digits : digits.slice(0, -2))
    const mm = digits.length <= 2 ? 0 : Number(digits.slice(-2))
    utc -= sign * (hh * 60 + mm) * 60_000
  }
  return month < 0 || Number.isNaN(utc) ? null : new Date(utc)
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
