import type { ExpressionNode } from './syntax.js'

/**
 * Writes a parsed expression back as text that parses to the same tree: strings escaped
 * (`\"`, `\\`), empty arguments kept in place. Used to show an expression in one canonical
 * spelling, whatever spacing it was written with.
 */
export function printExpression (node: ExpressionNode): string {
  switch (node.type) {
    case 'Function': return `${node.name}(${node.args.map(arg => arg === null ? '' : printExpression(arg)).join(', ')})`
    case 'Attribute': return `[${node.name}]`
    case 'Constant': return `"${node.value.replace(/[\\"]/g, c => `\\${c}`)}"`
    case 'Number': return String(node.value)
    case 'Identifier': return node.name
    case 'Comparison': return `${printExpression(node.left)} ${node.operator} ${printExpression(node.right)}`
  }
}
