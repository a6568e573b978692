import { randomInt, randomUUID } from 'node:crypto'
import { DEFAULT_DATE_FORMAT, formatDate, fromFileTime, parseDate, parseDateWithFormat, toFileTime } from './dates.js'
import { normalizeDiacritics } from './diacritics.js'
import { compileDotNetRegex, dotNetReplacement, runnable } from './safe-regex.js'
import { ExpressionError } from './syntax.js'
import { integer, isNullOrEmpty, text, truth, values, type Value } from './values.js'

/** What functions may ask of the place they run in. */
export interface FunctionContext {
  now: () => Date
  /** The target directory's default domain, for DefaultDomain(). */
  defaultDomain?: string
  /** Whether a candidate value is free in the target directory, for SelectUniqueValue. */
  isUnique?: (candidate: string) => boolean
  /** Set by Redact: the attribute's value is hidden in the provisioning logs. */
  markRedacted: () => void
}

/** An argument, evaluated when (and if) the function asks: IIF and Switch evaluate only the branch taken. */
export type Argument = () => Value

/** Thrown by IgnoreFlowIfNullOrEmpty: the attribute is left out of the flow. */
export class IgnoreFlow extends Error {}

interface FunctionDefinition {
  min: number
  max: number
  run: (args: Array<Argument | undefined>, context: FunctionContext, position: number) => Value
}

const arg = (args: Array<Argument | undefined>, index: number): Value => args[index]?.() ?? null

const fail = (position: number, reason: string): never => { throw new ExpressionError(position, reason) }

const dateArg = (value: Value, position: number, what: string): Date => {
  const t = text(value)
  const date = t === null ? null : parseDate(t)
  return date ?? fail(position, `${what} is not a date: ${JSON.stringify(t)}`)
}

const INTERVAL_MS: Record<string, number> = { d: 86_400_000, y: 86_400_000, w: 86_400_000, ww: 7 * 86_400_000, h: 3_600_000, n: 60_000, s: 1000 }

function addInterval (date: Date, interval: string, amount: number, position: number): Date {
  const result = new Date(date)
  switch (interval) {
    case 'yyyy': result.setUTCFullYear(result.getUTCFullYear() + amount); return result
    case 'q': result.setUTCMonth(result.getUTCMonth() + 3 * amount); return result
    case 'm': result.setUTCMonth(result.getUTCMonth() + amount); return result
    default: {
      const unit = INTERVAL_MS[interval] ?? fail(position, `interval '${interval}' is not one of yyyy, q, m, y, d, w, ww, h, n, s`)
      return new Date(date.getTime() + amount * unit)
    }
  }
}

function diffInterval (from: Date, to: Date, interval: string, position: number): number {
  switch (interval) {
    case 'yyyy': return to.getUTCFullYear() - from.getUTCFullYear()
    case 'q': return (to.getUTCFullYear() - from.getUTCFullYear()) * 4 + Math.floor(to.getUTCMonth() / 3) - Math.floor(from.getUTCMonth() / 3)
    case 'm': return (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth()
    default: {
      const unit = INTERVAL_MS[interval] ?? fail(position, `interval '${interval}' is not one of yyyy, q, m, y, d, w, ww, h, n, s`)
      return Math.trunc((to.getTime() - from.getTime()) / unit)
    }
  }
}

const RANDOM_SETS = { digits: '0123456789', special: '!@#$%^&*()-_=+[]{};:,.?', upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', lower: 'abcdefghijklmnopqrstuvwxyz' }

function randomString (length: number, minimums: [number, number, number, number], avoid: string, position: number): string {
  if (length < 1 || length > 256) fail(position, 'RandomString makes 1 to 256 characters')
  if (minimums.reduce((a, b) => a + b, 0) > length) fail(position, 'RandomString: the minimums add up to more than the length')
  const sets = [RANDOM_SETS.digits, RANDOM_SETS.special, RANDOM_SETS.upper, RANDOM_SETS.lower].map(set => [...set].filter(c => !avoid.includes(c)).join(''))
  const pick = (set: string): string => set === '' ? fail(position, 'RandomString: CharactersToAvoid leaves no character to choose from') : set[randomInt(set.length)]!
  const chars: string[] = []
  sets.forEach((set, index) => { for (let i = 0; i < minimums[index]!; i++) chars.push(pick(set)) })
  const all = sets.join('')
  while (chars.length < length) chars.push(pick(all))
  for (let i = chars.length - 1; i > 0; i--) { const j = randomInt(i + 1); [chars[i], chars[j]] = [chars[j]!, chars[i]!] }
  return chars.join('')
}

function titleCase (source: string, separators: string | null): string {
  const isSeparator = (c: string): boolean => separators === null ? /\s/.test(c) : separators.includes(c)
  let out = ''
  let start = true
  for (const c of source) {
    if (isSeparator(c)) { out += c; start = true; continue }
    out += start ? c.toUpperCase() : c.toLowerCase()
    start = false
  }
  return out
}

/** Case mapping in a culture (invariant when none is given): `tr-TR` lowers "I" to "ı". */
function inCulture (culture: string | null, position: number, map: (culture: string | undefined) => string): string {
  try {
    return map(culture ?? undefined)
  } catch {
    return fail(position, `'${culture ?? ''}' is not a culture name such as en-US or tr-TR`)
  }
}

/** Replace's five documented modes, chosen by which arguments are given. */
function replace (args: Array<Argument | undefined>, position: number): Value {
  const source = text(arg(args, 0))
  const oldValue = text(arg(args, 1))
  const pattern = text(arg(args, 2))
  const groupName = text(arg(args, 3))
  const replacementValue = text(arg(args, 4))
  const replacementAttribute = arg(args, 5)
  const template = text(arg(args, 6))
  if (oldValue !== null && template !== null) return template.split(oldValue).join(source ?? '')
  if (source === null) return replacementAttribute ?? null
  if (oldValue !== null) return replacementValue === null ? source : source.split(oldValue).join(replacementValue)
  if (pattern === null) return source
  const regex = compileDotNetRegex(pattern, position)
  const input = runnable(source, position)
  if (groupName === null) return replacementValue === null ? source : input.replace(new RegExp(regex.source, `${regex.flags}g`), dotNetReplacement(replacementValue))
  const match = regex.exec(input)
  const group = match?.groups?.[groupName]
  if (match === null || group === undefined) return replacementAttribute !== null && replacementValue === null ? text(replacementAttribute) : source
  const replacement = replacementValue ?? text(replacementAttribute) ?? ''
  const start = match.index + match[0].indexOf(group)
  return input.slice(0, start) + replacement + input.slice(start + group.length)
}

/**
 * Every function of Entra's published list, and DefaultDomain(), with their documented
 * null handling. Names are case-sensitive, as in Entra.
 */
export const FUNCTIONS: Record<string, FunctionDefinition> = {
  Append: { min: 2, max: 2, run: args => (text(arg(args, 0)) ?? '') + (text(arg(args, 1)) ?? '') },
  AppRoleAssignmentsComplex: { min: 1, max: 1, run: (_args, _c, position) => fail(position, 'AppRoleAssignmentsComplex applies to outbound SCIM provisioning of app roles; an inbound HR source has no app role assignments') },
  BitAnd: { min: 2, max: 2, run: args => integer(arg(args, 0), 'BitAnd value1') & integer(arg(args, 1), 'BitAnd value2') },
  CBool: { min: 1, max: 1, run: args => truth(arg(args, 0)) ?? false },
  CDate: { min: 1, max: 1, run: (args, _c, position) => { const v = arg(args, 0); return v === null ? null : formatDate(dateArg(v, position, 'CDate\'s expression')) } },
  Coalesce: { min: 1, max: Infinity, run: args => { for (const a of args) { const v = a?.() ?? null; if (v !== null) return v } return null } },
  ConvertToBase64: { min: 1, max: 1, run: args => { const t = text(arg(args, 0)); return t === null ? null : Buffer.from(t, 'utf16le').toString('base64') } },
  ConvertToUTF8Hex: { min: 1, max: 1, run: args => { const t = text(arg(args, 0)); return t === null ? null : Buffer.from(t, 'utf8').toString('hex').toUpperCase() } },
  Count: { min: 1, max: 1, run: args => values(arg(args, 0)).length },
  CStr: { min: 1, max: 1, run: args => text(arg(args, 0)) },
  DateAdd: {
    min: 3,
    max: 3,
    run: (args, _c, position) => {
      const date = arg(args, 2)
      if (date === null) return null
      return formatDate(addInterval(dateArg(date, position, 'DateAdd\'s dateTime'), text(arg(args, 0)) ?? '', integer(arg(args, 1), 'DateAdd value'), position))
    }
  },
  DateDiff: {
    min: 3,
    max: 3,
    run: (args, _c, position) => {
      const [a, b] = [arg(args, 1), arg(args, 2)]
      if (a === null || b === null) return null
      return diffInterval(dateArg(a, position, 'DateDiff\'s date1'), dateArg(b, position, 'DateDiff\'s date2'), text(arg(args, 0)) ?? '', position)
    }
  },
  DateFromNum: { min: 1, max: 1, run: args => { const v = arg(args, 0); return v === null ? null : formatDate(fromFileTime(integer(v, 'DateFromNum value'))) } },
  DefaultDomain: { min: 0, max: 0, run: (_args, context, position) => context.defaultDomain ?? fail(position, 'DefaultDomain() needs a target directory with a domain') },
  FormatDateTime: {
    min: 4,
    max: 4,
    run: (args, _c, position) => {
      const source = text(arg(args, 0))
      if (source === null) return null
      const inputFormat = text(arg(args, 2))
      const date = inputFormat === null ? parseDate(source) : parseDateWithFormat(source, inputFormat) ?? parseDate(source)
      if (date === null) fail(position, `FormatDateTime: ${JSON.stringify(source)} does not match the input format ${JSON.stringify(inputFormat)}`)
      return formatDate(date!, text(arg(args, 3)) ?? DEFAULT_DATE_FORMAT)
    }
  },
  Guid: { min: 0, max: 0, run: () => randomUUID() },
  IgnoreFlowIfNullOrEmpty: { min: 1, max: 1, run: args => { const v = arg(args, 0); if (isNullOrEmpty(v)) throw new IgnoreFlow(); return v } },
  IIF: {
    min: 3,
    max: 3,
    // A null or empty attribute in the condition makes it false, as Entra documents.
    run: args => truth(arg(args, 0)) === true ? arg(args, 1) : arg(args, 2)
  },
  InStr: {
    min: 2,
    max: 4,
    run: args => {
      const [haystack, needle] = [text(arg(args, 0)), text(arg(args, 1))]
      if (haystack === null || needle === null) return 0
      const start = args[2] === undefined ? 1 : integer(arg(args, 2), 'InStr start')
      const textCompare = text(arg(args, 3)) === 'vbTextCompare'
      const index = (textCompare ? haystack.toLowerCase() : haystack).indexOf(textCompare ? needle.toLowerCase() : needle, Math.max(0, start - 1))
      return index + 1
    }
  },
  IsNull: { min: 1, max: 1, run: args => arg(args, 0) === null },
  IsNullOrEmpty: { min: 1, max: 1, run: args => isNullOrEmpty(arg(args, 0)) },
  IsPresent: { min: 1, max: 1, run: args => !isNullOrEmpty(arg(args, 0)) },
  IsString: { min: 1, max: 1, run: args => { const v = arg(args, 0); return typeof v === 'string' } },
  Item: {
    min: 2,
    max: 2,
    run: (args, _c, position) => {
      const index = integer(arg(args, 1), 'Item index')
      if (index < 1) fail(position, 'Item\'s index starts at 1')
      return values(arg(args, 0))[index - 1] ?? null
    }
  },
  Join: { min: 2, max: Infinity, run: args => args.slice(1).flatMap(a => values(a?.() ?? null)).join(text(arg(args, 0)) ?? '') },
  Left: {
    min: 2,
    max: 2,
    run: args => {
      const source = text(arg(args, 0))
      if (source === null) return ''
      const n = integer(arg(args, 1), 'Left NumChars')
      return n < 0 ? source : [...source].slice(0, n).join('')
    }
  },
  Mid: {
    min: 3,
    max: 3,
    run: args => {
      const source = text(arg(args, 0))
      if (source === null) return null
      const start = Math.max(1, integer(arg(args, 1), 'Mid start'))
      return [...source].slice(start - 1, start - 1 + Math.max(0, integer(arg(args, 2), 'Mid length'))).join('')
    }
  },
  NormalizeDiacritics: { min: 1, max: 1, run: args => { const t = text(arg(args, 0)); return t === null ? null : normalizeDiacritics(t) } },
  Not: { min: 1, max: 1, run: args => { const t = truth(arg(args, 0)); return t === null ? null : !t } },
  Now: { min: 0, max: 0, run: (_args, context) => formatDate(context.now()) },
  NumFromDate: { min: 1, max: 1, run: (args, _c, position) => { const v = arg(args, 0); return v === null ? null : String(toFileTime(dateArg(v, position, 'NumFromDate\'s value'))) } },
  PCase: { min: 1, max: 2, run: args => { const t = text(arg(args, 0)); return t === null ? null : titleCase(t, text(arg(args, 1))) } },
  RandomString: {
    min: 1,
    max: 6,
    run: (args, _c, position) => {
      const n = (index: number): number => args[index] === undefined ? 0 : integer(arg(args, index), 'RandomString count')
      return randomString(integer(arg(args, 0), 'RandomString Length'), [n(1), n(2), n(3), n(4)], text(arg(args, 5)) ?? '', position)
    }
  },
  Redact: { min: 1, max: 1, run: (args, context) => { context.markRedacted(); return arg(args, 0) } },
  RemoveDuplicates: { min: 1, max: 1, run: args => { const v = arg(args, 0); return Array.isArray(v) ? [...new Set(v)] : v } },
  Replace: { min: 7, max: 7, run: (args, _c, position) => replace(args, position) },
  SelectUniqueValue: {
    min: 2,
    max: Infinity,
    run: (args, context, position) => {
      const isUnique = context.isUnique ?? fail(position, 'SelectUniqueValue needs the target directory to check candidates against')
      for (const candidate of args) {
        const value = text(candidate?.() ?? null)
        if (value !== null && value !== '' && isUnique(value)) return value
      }
      return fail(position, 'SelectUniqueValue: every candidate is already taken in the target directory')
    }
  },
  SingleAppRoleAssignment: { min: 1, max: 1, run: (_args, _c, position) => fail(position, 'SingleAppRoleAssignment applies to outbound SCIM provisioning of app roles; an inbound HR source has no app role assignments') },
  Split: { min: 2, max: 2, run: args => { const t = text(arg(args, 0)); return t === null ? null : t.split(text(arg(args, 1)) ?? ',') } },
  StripSpaces: { min: 1, max: 1, run: args => { const t = text(arg(args, 0)); return t === null ? null : t.replaceAll(' ', '') } },
  Switch: {
    min: 2,
    max: Infinity,
    run: (args, _c, position) => {
      if ((args.length - 2) % 2 !== 0) fail(position, 'Switch takes a source, a default value, then key and value pairs')
      const source = text(arg(args, 0))
      for (let i = 2; i + 1 < args.length; i += 2) {
        if (source !== null && text(arg(args, i)) === source) return arg(args, i + 1)
      }
      return arg(args, 1)
    }
  },
  ToLower: { min: 1, max: 2, run: (args, _c, position) => { const t = text(arg(args, 0)); return t === null ? null : inCulture(text(arg(args, 1)), position, culture => t.toLocaleLowerCase(culture)) } },
  ToUpper: { min: 1, max: 2, run: (args, _c, position) => { const t = text(arg(args, 0)); return t === null ? null : inCulture(text(arg(args, 1)), position, culture => t.toLocaleUpperCase(culture)) } },
  Word: {
    min: 3,
    max: 3,
    run: args => {
      const source = text(arg(args, 0))
      if (source === null) return null
      const delimiters = text(arg(args, 2)) ?? ' '
      const words = [...source].reduce<string[]>((acc, c) => { if (delimiters.includes(c)) acc.push(''); else acc[acc.length - 1] += c; return acc }, ['']).filter(word => word !== '')
      return words[integer(arg(args, 1), 'Word WordNumber') - 1] ?? null
    }
  }
}

