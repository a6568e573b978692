import { ExpressionError } from './syntax.js'

export type Token =
  | { kind: 'name', text: string, position: number }
  | { kind: 'attribute', text: string, position: number }
  | { kind: 'string', text: string, position: number }
  | { kind: 'number', value: number, position: number }
  | { kind: 'punct', text: '(' | ')' | ',', position: number }
  | { kind: 'operator', text: '=' | '<>' | '>' | '>=' | '<' | '<=', position: number }

/**
 * Splits an expression into tokens. Attribute references run from `[` to the matching `]`,
 * so filters inside them (`[emails[type eq "work"].value]`) stay one reference; strings take
 * backslash escapes for a quote and a backslash (`\"`, `\\`); numbers are decimal or VB hexadecimal (`&HF7`).
 */
export function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    const position = i + 1
    if (/\s/.test(c)) { i++; continue }
    if (c === '(' || c === ')' || c === ',') { tokens.push({ kind: 'punct', text: c, position }); i++; continue }
    if (c === '[') { const end = attributeEnd(text, i); tokens.push({ kind: 'attribute', text: text.slice(i + 1, end).trim(), position }); i = end + 1; continue }
    if (c === '"') { const [value, end] = stringLiteral(text, i); tokens.push({ kind: 'string', text: value, position }); i = end; continue }
    if (c === '<' || c === '>' || c === '=') {
      const two = text.slice(i, i + 2)
      const operator = two === '<>' || two === '>=' || two === '<=' ? two : c
      tokens.push({ kind: 'operator', text: operator as '=' | '<>' | '>' | '>=' | '<' | '<=', position })
      i += operator.length
      continue
    }
    if (c === '&' && /[hH]/.test(text[i + 1] ?? '')) {
      const match = /^&[hH]([0-9A-Fa-f]+)/.exec(text.slice(i))
      if (match === null) throw new ExpressionError(position, 'a hexadecimal number needs digits after &H')
      tokens.push({ kind: 'number', value: Number.parseInt(match[1]!, 16), position })
      i += match[0].length
      continue
    }
    const number = /^-?\d+(\.\d+)?/.exec(text.slice(i))
    if (number !== null && (c !== '-' || /\d/.test(text[i + 1] ?? ''))) {
      tokens.push({ kind: 'number', value: Number(number[0]), position })
      i += number[0].length
      continue
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))
    if (name !== null) { tokens.push({ kind: 'name', text: name[0], position }); i += name[0].length; continue }
    throw new ExpressionError(position, `unexpected '${c}'`)
  }
  return tokens
}

function attributeEnd (text: string, start: number): number {
  let depth = 0
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (c === '"') { i = stringLiteral(text, i)[1] - 1; continue }
    if (c === '[') depth++
    if (c === ']' && --depth === 0) {
      if (i === start + 1) throw new ExpressionError(start + 1, 'an attribute reference needs a name: [attributeName]')
      return i
    }
  }
  throw new ExpressionError(start + 1, "an attribute reference is not closed: ']' is missing")
}

/** Returns the string's value and the index just after its closing quote. */
function stringLiteral (text: string, start: number): [string, number] {
  let value = ''
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]
    if (c === '\\') {
      // \" and \\ are the escapes; any other backslash stays, so regular expressions
      // such as "\d+" read as written.
      const next = text[i + 1]
      if (next === '"' || next === '\\') { value += next; i++; continue }
      value += c
      continue
    }
    if (c === '"') return [value, i + 1]
    value += c
  }
  throw new ExpressionError(start + 1, 'a string is not closed: \'"\' is missing')
}
