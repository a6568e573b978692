/**
 * An RFC 2849 LDIF writer (content records only, no change records). Pure: it turns entries
 * into text and leaves reading and sending to the caller.
 */

export type LdifValue = string | Buffer

export interface LdifEntry {
  dn: string
  /** In the order they are to be written; an array is one line per value, an empty array none. */
  attributes: Array<[name: string, value: LdifValue | LdifValue[]]>
}

/** The version-spec every LDIF file starts with. */
export const LDIF_VERSION_LINE = 'version: 1\n'

/** RFC 2849 recommends lines of at most 76 characters (without the line separator). */
export const LDIF_LINE_LENGTH = 76

/*
 * SAFE-STRING = [SAFE-INIT-CHAR *SAFE-CHAR]
 * SAFE-CHAR      = %x01-09 / %x0B-0C / %x0E-7F        (ASCII without NUL, LF, CR)
 * SAFE-INIT-CHAR = %x01-09 / %x0B-0C / %x0E-1F / %x21-39 / %x3B / %x3D-7F
 *                  (a SAFE-CHAR that is not space, colon or less-than)
 */
const SAFE_STRING = /^(?:[\x01-\x09\x0B\x0C\x0E-\x1F\x21-\x39\x3B\x3D-\x7F][\x01-\x09\x0B\x0C\x0E-\x7F]*)?$/

/*
 * AttributeDescription = AttributeType [";" options]: a name (letter, then letters, digits
 * and hyphens) or a numeric OID, each option like a name.
 */
const ATTRIBUTE_DESCRIPTION = /^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)*)(?:;[A-Za-z0-9-]+)*$/

/**
 * Whether a string can be written as is after `name: `. Besides the grammar, RFC 2849's note
 * says a value ending in a space should be base64-encoded: readers may trim it otherwise.
 */
export function isSafeString (value: string): boolean {
  return SAFE_STRING.test(value) && !value.endsWith(' ')
}

/** `name: value`, or `name:: base64` for a Buffer or a string that is not a SAFE-STRING (UTF-8 encoded). */
function valueLine (name: string, value: LdifValue): string {
  if (typeof value === 'string' && isSafeString(value)) return value === '' ? `${name}:` : `${name}: ${value}`
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  return `${name}:: ${bytes.toString('base64')}`
}

/**
 * Splits a line into lines of at most 76 characters, each continuation starting with one
 * space (which readers drop). Lines written here are ASCII, so characters are bytes and a
 * fold never splits a UTF-8 sequence.
 */
export function foldLine (line: string, width = LDIF_LINE_LENGTH): string {
  if (line.length <= width) return `${line}\n`
  let folded = `${line.slice(0, width)}\n`
  for (let start = width; start < line.length; start += width - 1) folded += ` ${line.slice(start, start + width - 1)}\n`
  return folded
}

/** One attrval record: the dn line then one line per value, folded, each ending in LF; no blank line. */
export function formatLdifEntry (entry: LdifEntry): string {
  let text = foldLine(valueLine('dn', entry.dn))
  for (const [name, value] of entry.attributes) {
    // The name is written unescaped, so a bad one would corrupt the file rather than one value.
    if (!ATTRIBUTE_DESCRIPTION.test(name)) throw new TypeError(`not an LDAP attribute description: ${JSON.stringify(name)}`)
    for (const item of Array.isArray(value) ? value : [value]) text += foldLine(valueLine(name, item))
  }
  return text
}

/** How much text ldifDocument gathers before handing it on: one write per chunk, not per entry. */
export const LDIF_CHUNK_LENGTH = 64 * 1024

/**
 * A whole LDIF file as chunks of about `chunkLength` characters: the version line, then each
 * entry preceded by a blank line (RFC 2849 separates records, and the version-spec from the
 * first, with one or more SEPs). Entries are gathered so a large export is not sent as a
 * hundred thousand small writes, which costs far more than producing them.
 */
export async function * ldifDocument (entries: AsyncIterable<LdifEntry> | Iterable<LdifEntry>, chunkLength = LDIF_CHUNK_LENGTH): AsyncGenerator<string> {
  let pending = LDIF_VERSION_LINE
  for await (const entry of entries) {
    pending += `\n${formatLdifEntry(entry)}`
    if (pending.length >= chunkLength) {
      yield pending
      pending = ''
    }
  }
  if (pending !== '') yield pending
}
