import { compileDotNetRegex, MAX_REGEX_INPUT } from '../expressions/safe-regex.js'
import { isNullOrEmpty, text, truth } from '../expressions/values.js'
import { compileAttributePath } from './attribute-path.js'
import { toValue } from './source-values.js'
import type { ScopeClause, ScopeFilter } from './job-schema.js'

/** Whether a source record is in a job's scope. */
export type ScopePredicate = (user: Record<string, unknown>) => boolean

/**
 * Entra's scoping filter: the clauses of a group are ANDed, groups are ORed. Comparisons
 * are case-sensitive; a null or empty value makes every clause false except IS NULL (and
 * IS NOT NULL, which it makes false by itself). Integer operators (`Greater_Than`,
 * `Greater_Than_OR_EQUALS`, `&` — some bit of the operand set — and `!&`) read the value
 * as an integer; one that is not is out of scope.
 */
export function compileScope (scope: ScopeFilter): ScopePredicate {
  const groups = scope.groups.map(group => group.clauses.map(compileClause))
  return user => groups.length === 0 || groups.some(clauses => clauses.every(clause => clause(user)))
}

function compileClause (clause: ScopeClause): ScopePredicate {
  const read = compileAttributePath(clause.sourceOperandName)
  const operand = clause.targetOperand.values[0] ?? ''
  const test = comparison(clause, operand)
  return user => {
    const value = toValue(read(user))
    if (clause.operatorName === 'IS NULL') return isNullOrEmpty(value)
    if (clause.operatorName === 'IS NOT NULL') return !isNullOrEmpty(value)
    // "Filtering is not supported for multi-valued attributes": a list is compared by its first value.
    const single = isNullOrEmpty(value) ? null : value
    return single === null ? false : test(single)
  }
}

function comparison (clause: ScopeClause, operand: string): (value: Exclude<ReturnType<typeof toValue>, null>) => boolean {
  switch (clause.operatorName) {
    case 'EQUALS': return value => text(value) === operand
    case 'NOT EQUALS': return value => text(value) !== operand
    case 'Includes': return value => text(value)!.includes(operand)
    case 'ENDS_WITH': return value => text(value)!.endsWith(operand)
    case 'IS TRUE': return value => truth(value) === true
    case 'IS FALSE': return value => truth(value) === false
    case 'REGEX MATCH':
    case 'NOT REGEX MATCH': {
      const pattern = compileDotNetRegex(operand, 1)
      const wanted = clause.operatorName === 'REGEX MATCH'
      return value => {
        const t = text(value)!
        if (t.length > MAX_REGEX_INPUT) return false
        pattern.lastIndex = 0
        return pattern.test(t) === wanted
      }
    }
    case 'Greater_Than': return integerTest(n => n > Number(operand))
    case 'Greater_Than_OR_EQUALS': return integerTest(n => n >= Number(operand))
    case '&': return integerTest(n => (BigInt(n) & BigInt(operand)) !== 0n)
    case '!&': return integerTest(n => (BigInt(n) & BigInt(operand)) === 0n)
    default: return () => false
  }
}

function integerTest (test: (n: number) => boolean): (value: Exclude<ReturnType<typeof toValue>, null>) => boolean {
  return value => {
    const t = text(value)!.trim()
    return /^-?\d{1,15}$/.test(t) && test(Number(t))
  }
}
