import t from 'tap'
import { parseExpression } from '../../src/expressions/parser.js'
import { printExpression } from '../../src/expressions/print.js'
import type { ComparisonOperator, ExpressionNode } from '../../src/expressions/syntax.js'

// Property: for any expression tree, parse(print(tree)) is the same tree, and printing is
// stable. Trees come from a seeded generator, so a failure can be replayed.

function generator (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const NAMES = ['Join', 'Replace', 'IIF', 'Switch', 'Mid', 'ToLower', 'Coalesce', 'Word', 'DefaultDomain']
const ATTRIBUTES = ['userName', 'name.givenName', 'emails[type eq "work"].value', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department']
const TEXT = ['', 'a', 'Hello, world', 'say "hi"', 'C:\\temp\\', '\\d+', '(?<Suffix>@(.)*)', 'Zoë ß', ' spaced ', ',)(']
const OPERATORS: ComparisonOperator[] = ['=', '<>', '>', '>=', '<', '<=']

function randomTree (random: () => number, depth: number): ExpressionNode {
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!
  const roll = random()
  if (depth > 0 && roll < 0.45) {
    const count = Math.floor(random() * 5)
    const args: Array<ExpressionNode | null> = []
    for (let i = 0; i < count; i++) args.push(random() < 0.15 ? null : randomArgument(random, depth - 1))
    // A lone empty argument has no spelling: F() is a call with none.
    if (args.length === 1 && args[0] === null) args[0] = randomTree(random, 0)
    return { type: 'Function', name: pick(NAMES), args, position: 0 }
  }
  if (roll < 0.6) return { type: 'Attribute', name: pick(ATTRIBUTES), position: 0 }
  if (roll < 0.8) return { type: 'Constant', value: pick(TEXT), position: 0 }
  if (roll < 0.92) return { type: 'Number', value: pick([0, 1, 42, -7, 3.5, 255]), position: 0 }
  return { type: 'Identifier', name: pick(['vbTextCompare', 'vbBinaryCompare']), position: 0 }
}

function randomArgument (random: () => number, depth: number): ExpressionNode {
  if (random() < 0.15) {
    return { type: 'Comparison', operator: OPERATORS[Math.floor(random() * OPERATORS.length)]!, left: randomTree(random, 0), right: randomTree(random, 0), position: 0 }
  }
  return randomTree(random, depth)
}

function withoutPositions (node: ExpressionNode | null): unknown {
  if (node === null) return null
  const { position: _position, ...rest } = node as ExpressionNode & Record<string, unknown>
  if (node.type === 'Function') return { ...rest, args: node.args.map(withoutPositions) }
  if (node.type === 'Comparison') return { ...rest, left: withoutPositions(node.left), right: withoutPositions(node.right) }
  return rest
}

t.test('parse(print(tree)) is the tree, for 2,000 generated trees', async t => {
  const random = generator(20261127)
  let failures = 0
  for (let i = 0; i < 2000; i++) {
    const tree = randomTree(random, 4)
    const text = printExpression(tree)
    let reparsed: ExpressionNode | undefined
    try { reparsed = parseExpression(text) } catch (err) {
      failures++
      t.fail(`${text}: ${(err as Error).message}`)
      continue
    }
    if (JSON.stringify(withoutPositions(reparsed)) !== JSON.stringify(withoutPositions(tree))) {
      failures++
      t.fail(`round trip changed the tree: ${text}`)
    } else if (printExpression(reparsed) !== text) {
      failures++
      t.fail(`printing is not stable: ${text}`)
    }
    if (failures > 5) break
  }
  t.equal(failures, 0)
})

t.test('printing gives one spelling, whatever the spacing', async t => {
  t.equal(printExpression(parseExpression('Replace( [userName] ,, "(?<Suffix>@(.)*)","Suffix" , "", , )')), 'Replace([userName], , "(?<Suffix>@(.)*)", "Suffix", "", , )')
  t.equal(printExpression(parseExpression('IIF([a]="x\\"y",  "C:\\\\",[b])')), 'IIF([a] = "x\\"y", "C:\\\\", [b])')
})
