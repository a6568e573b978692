/** A template's literal text and the columns it inserts: `{UserID}@contoso.com`. */
export type TemplatePart = string | { column: string }

/**
 * Reads a template; `{{` and `}}` stand for literal braces. Returns the parts, or the
 * problem as a message.
 */
export function parseTemplate (template: string): TemplatePart[] | string {
  const parts: TemplatePart[] = []
  let literal = ''
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!
    if ((char === '{' || char === '}') && template[i + 1] === char) { literal += char; i++; continue }
    if (char === '}') return `"template": a "}" at character ${i + 1} closes nothing (write "}}" for a literal brace)`
    if (char !== '{') { literal += char; continue }
    const end = template.indexOf('}', i + 1)
    if (end < 0) return `"template": the "{" at character ${i + 1} is not closed`
    const column = template.slice(i + 1, end).trim()
    if (column === '' || column.includes('{')) return `"template": "{…}" at character ${i + 1} must hold a column name`
    if (literal !== '') { parts.push(literal); literal = '' }
    parts.push({ column })
    i = end
  }
  if (literal !== '') parts.push(literal)
  return parts
}
