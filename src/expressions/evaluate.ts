import { FUNCTIONS, IgnoreFlow, type FunctionContext } from './functions.js'
import { compileDotNetRegex } from './safe-regex.js'
import { parseExpression } from './parser.js'
import { ExpressionError, type ComparisonOperator, type ExpressionNode } from './syntax.js'
import { text, type Value } from './values.js'

export interface EvaluationInput {
  /** The value of a source attribute, by the name written between brackets; null when absent. */
  read: (attribute: string) => Value
  now?: () => Date
  defaultDomain?: string
  isUnique?: (candidate: string) => boolean
}

export type EvaluationResult =
  | { flow: true, value: Value, redacted: boolean }
  /** IgnoreFlowIfNullOrEmpty saw nothing: the target attribute is left as it is. */
  | { flow: false }

/** A parsed and checked expression, ready to run on any number of users. */
export interface CompiledExpression {
  source: string
  tree: ExpressionNode
  evaluate: (input: EvaluationInput) => EvaluationResult
}

/** Parses and checks an expression: every function exists (names are case-sensitive) and gets a number of arguments it takes. */
export function compileExpression (source: string): CompiledExpression {
  const tree = parseExpression(source)
  check(tree, true)
  return { source, tree, evaluate: input => evaluate(tree, input) }
}

function check (node: ExpressionNode, topLevel: boolean): void {
  if (node.type === 'Comparison') {
    check(node.left, false)
    check(node.right, false)
    return
  }
  if (node.type !== 'Function') return
  const definition = FUNCTIONS[node.name]
  if (definition === undefined) {
    const other = Object.keys(FUNCTIONS).find(name => name.toLowerCase() === node.name.toLowerCase())
    throw new ExpressionError(node.position, other !== undefined ? `unknown function '${node.name}': names are case-sensitive, did you mean '${other}'?` : `unknown function '${node.name}'`)
  }
  const count = node.args.length
  if (count < definition.min || count > definition.max) {
    const expected = definition.min === definition.max ? `${definition.min}` : definition.max === Infinity ? `at least ${definition.min}` : `${definition.min} to ${definition.max}`
    throw new ExpressionError(node.position, `${node.name} takes ${expected} argument${definition.max === 1 ? '' : 's'}, not ${count}`)
  }
  if (node.name === 'SelectUniqueValue' && !topLevel) throw new ExpressionError(node.position, 'SelectUniqueValue must be the whole expression, not inside another function')
  // A constant pattern is checked now, so a mapping with a bad or dangerous one is refused when saved.
  const pattern = node.name === 'Replace' ? node.args[2] : undefined
  if (pattern?.type === 'Constant') compileDotNetRegex(pattern.value, pattern.position)
  for (const arg of node.args) if (arg !== null) check(arg, false)
}

function evaluate (tree: ExpressionNode, input: EvaluationInput): EvaluationResult {
  let redacted = false
  const context: FunctionContext = {
    now: input.now ?? (() => new Date()),
    defaultDomain: input.defaultDomain,
    isUnique: input.isUnique,
    markRedacted: () => { redacted = true }
  }
  const run = (node: ExpressionNode): Value => {
    switch (node.type) {
      case 'Attribute': return input.read(node.name)
      case 'Constant': return node.value
      case 'Number': return node.value
      case 'Identifier': return node.name
      case 'Comparison': return comparison(node.operator, run(node.left), run(node.right))
      case 'Function': {
        const args = node.args.map(arg => arg === null ? undefined : () => run(arg))
        try {
          return FUNCTIONS[node.name]!.run(args, context, node.position)
        } catch (err) {
          if (err instanceof ExpressionError || err instanceof IgnoreFlow) throw err
          throw new ExpressionError(node.position, `${node.name}: ${(err as Error).message}`)
        }
      }
    }
  }
  try {
    return { flow: true, value: run(tree), redacted }
  } catch (err) {
    if (err instanceof IgnoreFlow) return { flow: false }
    throw err
  }
}

/**
 * Comparisons in IIF's condition: numbers compare as numbers, anything else as text
 * (case-sensitive, as Entra's language is). An absent value makes the condition false.
 */
function comparison (operator: ComparisonOperator, left: Value, right: Value): boolean {
  const [a, b] = [text(left), text(right)]
  if (a === null || b === null || a === '' ) return false
  const numeric = a.trim() !== '' && b.trim() !== '' && !Number.isNaN(Number(a)) && !Number.isNaN(Number(b))
  const order = numeric ? Math.sign(Number(a) - Number(b)) : a < b ? -1 : a > b ? 1 : 0
  switch (operator) {
    case '=': return order === 0
    case '<>': return order !== 0
    case '>': return order > 0
    case '>=': return order >= 0
    case '<': return order < 0
    case '<=': return order <= 0
  }
}
