/** One step of a JSON pointer: an object member name or an array index. */
export type PointerSegment = string | number

/** Formats segments as an RFC 6901 JSON pointer (`~` → `~0`, `/` → `~1`); `[]` is the whole document, `''`. */
export function formatPointer (segments: readonly PointerSegment[]): string {
  let out = ''
  for (const s of segments) {
    out += '/' + (typeof s === 'number' ? String(s) : s.replaceAll('~', '~0').replaceAll('/', '~1'))
  }
  return out
}

/** Splits an RFC 6901 pointer into unescaped member names (array indices stay strings). */
export function parsePointer (pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map(s => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}
