import { BULK_REQUEST_FIELD, lookupField, type Field, type Shape } from './attribute-shapes.js'
import type { PointerSegment } from './json-pointer.js'

/** Containers nested deeper than this are refused: bounds the recursion whatever the client sends. */
export const MAX_DEPTH = 32
/** Issues beyond this many are only counted, so a hostile body cannot make the error list huge. */
export const MAX_ISSUES = 100

/** A problem found while normalizing, located in the body as sent. */
export interface NormalizeIssue {
  segments: PointerSegment[]
  message: string
}

export interface NormalizedBody {
  /**
   * The body with canonical member names; forbidden and too-deep members are left out. Objects
   * and arrays of the body as sent are reused, updated in place, where every member kept its
   * name; the others are replaced by plain copies.
   */
  value: unknown
  issues: NormalizeIssue[]
  /** Issues found beyond MAX_ISSUES. */
  suppressedIssues: number
  /**
   * Maps a location in `value` (e.g. ajv's instancePath, split) to the same location in the body as sent:
   * canonical names go back to the client's spelling (`userName` → `username`); indices are unchanged.
   */
  toOriginal: (segments: readonly string[]) => PointerSegment[]
}

export function isJsonObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Case-insensitive so that a downstream step that folds case cannot turn `__PROTO__` into `__proto__`.
 * The length test keeps the common case free of `toLowerCase()` allocations.
 */
function isForbiddenKey (key: string): boolean {
  if (key.length !== 9 && key.length !== 11) return false
  const k = key.toLowerCase()
  return k === '__proto__' || k === 'prototype' || k === 'constructor'
}

type WellFormedCheck = (text: string) => boolean
const isWellFormed: WellFormedCheck = (text) => (text as unknown as { isWellFormed: () => boolean }).isWellFormed()

/**
 * Text PostgreSQL cannot store: the NUL character, and lone UTF-16 surrogates (JSON allows
 * `"\ud800"`, UTF-8 cannot encode it). Refused at the door, because a stored request that
 * cannot be written would otherwise fail every time it is processed.
 */
export function unstorableTextProblem (text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)'
  if (!isWellFormed(text)) return 'contains a lone UTF-16 surrogate (\\ud800–\\udfff without its pair); send valid Unicode'
  return undefined
}

/** A plain object holding the members of `v` before `stop`, already normalized in place. */
function copyBefore (v: Record<string, unknown>, stop: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(v)) {
    if (key === stop) break
    out[key] = v[key]
  }
  return out
}

class Walker {
  readonly issues: NormalizeIssue[] = []
  suppressedIssues = 0
  /** Canonical name → name as sent, only for objects where some member was renamed (rare: no cost otherwise). */
  readonly renames = new WeakMap<object, Map<string, string>>()
  // One mutable path, copied only when an issue is recorded: no per-node allocation.
  private readonly path: PointerSegment[] = []

  issue (message: string): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ segments: this.path.slice(), message })
    else this.suppressedIssues++
  }

  /** Returns the normalized `v` (see normalizeBulkRequest), or undefined when it must be left out. */
  value (v: unknown, field: Field | undefined, depth: number): unknown {
    if (typeof v === 'string') {
      const problem = unstorableTextProblem(v)
      if (problem !== undefined) this.issue(problem)
    }
    if (typeof v !== 'object' || v === null) return field?.value === undefined ? v : field.value(v)
    if (depth > MAX_DEPTH) {
      this.issue(`nesting deeper than ${MAX_DEPTH} levels is not allowed`)
      return undefined
    }
    if (!Array.isArray(v)) return this.object(v as Record<string, unknown>, field?.shape, depth)
    for (let i = 0; i < v.length; i++) {
      this.path.push(i)
      const item = this.value(v[i], field, depth + 1)
      this.path.pop()
      if (item !== v[i]) v[i] = item === undefined ? null : item // null keeps the indices of the body as sent
    }
    return v
  }

  /**
   * Normalizes `v` in place while every member keeps its name and its place; from the first
   * member that is renamed or left out on, it builds a copy instead (rare: canonical input
   * never pays for one). In place matters: copying every object of a 1,000-user body cost
   * more than validating it.
   */
  object (v: Record<string, unknown>, shape: Shape | undefined, depth: number): Record<string, unknown> {
    // Only plain objects (what JSON.parse makes) are kept; anything else is copied into one.
    let out: Record<string, unknown> | undefined = Object.getPrototypeOf(v) === Object.prototype ? undefined : {}
    let renamed: Map<string, string> | undefined
    const keys = Object.keys(v)
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!
      this.path.push(key)
      // A name the schemas spell exactly this way (most of them) is neither unstorable nor forbidden.
      const exact = shape?.fields.get(key)
      const known = exact !== undefined && exact.name === key
      const keyProblem = known ? undefined : unstorableTextProblem(key)
      const forbidden = !known && keyProblem === undefined && isForbiddenKey(key)
      const field = known ? exact : shape === undefined || keyProblem !== undefined || forbidden ? undefined : lookupField(shape, key)
      const name = field?.name ?? key
      if (out === undefined && keyProblem === undefined && !forbidden && name === key) {
        const value = this.value(v[key], field, depth + 1)
        this.path.pop()
        if (value !== undefined) {
          if (value !== v[key]) v[key] = value
          continue
        }
        out = copyBefore(v, key) // the copy leaves the member out
        continue
      }
      out ??= copyBefore(v, key)
      if (keyProblem !== undefined) {
        this.issue(`attribute name ${keyProblem}`)
        this.path.pop()
        continue
      }
      if (forbidden) {
        // Never copied: `out[key] = …` with `__proto__` would replace out's prototype.
        this.issue(`"${key}" is not allowed as an attribute name`)
        this.path.pop()
        continue
      }
      // Two spellings of one attribute (`userName` and `username`) can only meet once a rename happened.
      if (name !== key || renamed !== undefined) {
        if (Object.hasOwn(out, name)) {
          const first = renamed?.get(name) ?? name
          this.issue(`"${key}" repeats the attribute "${first}" (attribute names are case-insensitive)`)
          this.path.pop()
          continue
        }
        if (name !== key) (renamed ??= new Map()).set(name, key)
      }
      const value = this.value(v[key], field, depth + 1)
      this.path.pop()
      if (value !== undefined) out[name] = value
    }
    if (out === undefined) return v
    if (renamed !== undefined) this.renames.set(out, renamed)
    return out
  }
}

/**
 * Normalizes a parsed BulkRequest (output of JSON.parse, which it updates: the caller hands it over) in one
 * walk, giving known members their canonical spelling
 * (`operations` → `Operations`, `username` → `userName`, enterprise URN in any case → canonical), canonicalizing
 * `method`, `path` and known schema URNs, and keeping unknown members as sent. `__proto__`, `constructor` and
 * `prototype` members are never copied and are reported, as is nesting deeper than MAX_DEPTH. Never throws.
 */
export function normalizeBulkRequest (parsed: unknown): NormalizedBody {
  const walker = new Walker()
  const value = walker.value(parsed, BULK_REQUEST_FIELD, 1)
  const { renames } = walker
  return {
    value,
    issues: walker.issues,
    suppressedIssues: walker.suppressedIssues,
    toOriginal (segments) {
      const out: PointerSegment[] = []
      let node: unknown = value
      for (const seg of segments) {
        if (Array.isArray(node)) {
          const i = Number(seg)
          out.push(Number.isInteger(i) ? i : seg)
          node = node[i]
        } else if (isJsonObject(node)) {
          out.push(renames.get(node)?.get(seg) ?? seg)
          node = Object.hasOwn(node, seg) ? node[seg] : undefined
        } else {
          out.push(seg)
          node = undefined
        }
      }
      return out
    }
  }
}
