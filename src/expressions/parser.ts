import { tokenize, type Token } from './lexer.js'
import { ExpressionError, MAX_EXPRESSION_LENGTH, type ExpressionNode } from './syntax.js'

/**
 * Parses an attribute-mapping expression: a function call, an attribute reference, a string
 * or a number; function arguments may be left empty positionally (`Replace([x], , "a", , "b", , )`);
 * a comparison (`=`, `<>`, `>`, `>=`, `<`, `<=`) is allowed where IIF's condition stands.
 * Function names are case-sensitive; whether a name exists is checked by the caller.
 */
export function parseExpression (text: string): ExpressionNode {
  if (text.length > MAX_EXPRESSION_LENGTH) throw new ExpressionError(MAX_EXPRESSION_LENGTH + 1, `an expression has at most ${MAX_EXPRESSION_LENGTH} characters (this one has ${text.length})`)
  const tokens = tokenize(text)
  if (tokens.length === 0) throw new ExpressionError(1, 'the expression is empty')
  const parser = new Parser(tokens, text.length)
  const node = parser.comparison()
  parser.expectEnd()
  return node
}

class Parser {
  private index = 0

  constructor (private readonly tokens: Token[], private readonly length: number) {}

  comparison (): ExpressionNode {
    const left = this.primary()
    const next = this.peek()
    if (next?.kind !== 'operator') return left
    this.index++
    return { type: 'Comparison', operator: next.text, left, right: this.primary(), position: next.position }
  }

  expectEnd (): void {
    const next = this.peek()
    if (next !== undefined) throw new ExpressionError(next.position, `unexpected ${describe(next)} after the end of the expression`)
  }

  private primary (): ExpressionNode {
    const token = this.next('a function, an attribute, a string or a number')
    switch (token.kind) {
      case 'attribute': return { type: 'Attribute', name: token.text, position: token.position }
      case 'string': return { type: 'Constant', value: token.text, position: token.position }
      case 'number': return { type: 'Number', value: token.value, position: token.position }
      case 'name':
        if (this.peek()?.kind === 'punct' && (this.peek() as { text: string }).text === '(') return this.call(token.text, token.position)
        return { type: 'Identifier', name: token.text, position: token.position }
      default: throw new ExpressionError(token.position, `expected a function, an attribute, a string or a number, found ${describe(token)}`)
    }
  }

  private call (name: string, position: number): ExpressionNode {
    this.index++ // (
    const args: Array<ExpressionNode | null> = []
    if (this.isPunct(')')) { this.index++; return { type: 'Function', name, args, position } }
    for (;;) {
      args.push(this.isPunct(',') || this.isPunct(')') ? null : this.comparison())
      const separator = this.next(`',' or ')' in ${name}(…)`)
      if (separator.kind === 'punct' && separator.text === ')') return { type: 'Function', name, args, position }
      if (separator.kind !== 'punct' || separator.text !== ',') throw new ExpressionError(separator.position, `expected ',' or ')' in ${name}(…), found ${describe(separator)}`)
    }
  }

  private isPunct (text: string): boolean {
    const token = this.peek()
    return token?.kind === 'punct' && token.text === text
  }

  private peek (): Token | undefined {
    return this.tokens[this.index]
  }

  private next (expected: string): Token {
    const token = this.tokens[this.index++]
    if (token === undefined) throw new ExpressionError(this.length + 1, `expected ${expected}, found the end of the expression`)
    return token
  }
}

function describe (token: Token): string {
  switch (token.kind) {
    case 'attribute': return `[${token.text}]`
    case 'string': return `"${token.text}"`
    case 'number': return String(token.value)
    default: return `'${token.text}'`
  }
}
