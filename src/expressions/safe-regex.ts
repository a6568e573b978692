import { ExpressionError } from './syntax.js'

/** Longest text a user's regular expression is run on: with it, what backtracking remains (adjacent repetitions) stays bounded. */
export const MAX_REGEX_INPUT = 1024

/**
 * Turns a .NET regular expression from a mapping into a JavaScript one, refusing the shapes
 * that backtrack catastrophically: JavaScript cannot stop a running match, so a pattern like
 * `(a+)+` on a hostile value would hold a worker. Refused: an unbounded quantifier (`*`, `+`,
 * `{n,}`) on a group that itself holds an unbounded quantifier or an alternation.
 */
export function compileDotNetRegex (pattern: string, position: number): RegExp {
  let source = pattern
  let flags = 'u'
  const inline = /^\(\?([imsx]+)\)/.exec(source)
  if (inline !== null) {
    if (inline[1]!.includes('i')) flags += 'i'
    if (inline[1]!.includes('m')) flags += 'm'
    if (inline[1]!.includes('s')) flags += 's'
    source = source.slice(inline[0].length)
  }
  source = source.replace(/\(\?'([A-Za-z_][A-Za-z0-9_]*)'/g, '(?<$1>').replace(/\\A/g, '^').replace(/\\[Zz]/g, '$')
  assertNoNestedQuantifiers(source, position)
  try {
    return new RegExp(source, flags)
  } catch (err) {
    try { return new RegExp(source, flags.replace('u', '')) } catch {}
    throw new ExpressionError(position, `the regular expression ${JSON.stringify(pattern)} is not valid: ${(err as Error).message}`)
  }
}

/** .NET's `${name}` in a replacement is JavaScript's `$<name>`. */
export function dotNetReplacement (replacement: string): string {
  return replacement.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, '$<$1>')
}

export function runnable (input: string, position: number): string {
  if (input.length > MAX_REGEX_INPUT) throw new ExpressionError(position, `a regular expression runs on at most ${MAX_REGEX_INPUT} characters; the value has ${input.length}`)
  return input
}

function assertNoNestedQuantifiers (source: string, position: number): void {
  // For each open group: whether it holds an unbounded quantifier or an alternation.
  const stack: Array<{ risky: boolean }> = [{ risky: false }]
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c === '\\') { i++; continue }
    if (c === '[') { i = classEnd(source, i); continue }
    if (c === '(') { stack.push({ risky: false }); continue }
    if (c === '|') { stack.at(-1)!.risky = true; continue }
    if (c === ')') {
      const group = stack.pop() ?? { risky: false }
      if (unboundedQuantifierAt(source, i + 1) && group.risky) {
        throw new ExpressionError(position, `the regular expression repeats a group that itself repeats or alternates (near character ${i + 1} of the pattern), which can take exponential time; write it without the nested repetition`)
      }
      // The enclosing group now holds whatever repetition this one held or is.
      if (group.risky || unboundedQuantifierAt(source, i + 1)) stack.at(-1)!.risky = true
      continue
    }
    if (unboundedQuantifierAt(source, i)) stack.at(-1)!.risky = true
  }
}

function unboundedQuantifierAt (source: string, i: number): boolean {
  const c = source[i]
  if (c === '*' || c === '+') return true
  if (c === '{') return /^\{\d+,\}/.test(source.slice(i))
  return false
}

function classEnd (source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') { i++; continue }
    if (source[i] === ']' && i > start + 1) return i
  }
  return source.length
}
