/**
 * Distinguished names as RFC 4514 strings. The service writes one canonical spelling
 * (attribute types upper-case, values escaped the same way every time) and compares DNs by
 * that spelling lower-cased, as Active Directory compares them case-insensitively. It reads
 * what other writers produce too: hex escapes, spaces around `=` and `,`.
 */

/** One single-valued relative distinguished name: `type=value`, the value unescaped. */
export interface Rdn { type: string, value: string }

export class DistinguishedNameError extends Error {
  /** The 1-based character (code point) where the name goes wrong. */
  readonly position: number

  constructor (message: string, position: number) {
    super(message)
    this.name = 'DistinguishedNameError'
    this.position = position
  }
}

/** Attribute types written upper-case, as Active Directory writes them. */
const UPPER_CASE_TYPES = new Set(['CN', 'OU', 'DC', 'O', 'L', 'ST', 'C'])

/** Characters escaped wherever they stand. `=` is not required by RFC 4514 but AD escapes it. */
const ALWAYS_ESCAPED = new Set([',', '+', '"', '\\', '<', '>', ';', '='])

/** What may follow a backslash as itself (RFC 4514 `special` and the backslash). */
const ESCAPABLE = new Set([...ALWAYS_ESCAPED, ' ', '#'])

/** Characters that must be escaped inside a value when read (`=` is tolerated unescaped, as RFC 4514 allows). */
const MUST_BE_ESCAPED = new Set(['"', '<', '>', ';'])

const DESCRIPTOR = /^[A-Za-z][A-Za-z0-9-]*$/
const NUMERIC_OID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/

const hex = (codePoint: number): string => `\\${codePoint.toString(16).toUpperCase().padStart(2, '0')}`

const isControl = (codePoint: number): boolean => codePoint < 0x20 || codePoint === 0x7f

export function escapeAttributeValue (value: string): string {
  const characters = Array.from(value)
  return characters.map((character, index) => {
    const codePoint = character.codePointAt(0)!
    if (ALWAYS_ESCAPED.has(character)) return `\\${character}`
    if (isControl(codePoint)) return hex(codePoint)
    if (index === 0 && (character === '#' || character === ' ')) return `\\${character}`
    if (index === characters.length - 1 && character === ' ') return '\\ '
    return character
  }).join('')
}

/** The attribute type as the service writes it; throws when it is neither a descriptor nor a numeric OID. */
function canonicalType (type: string, position: number): string {
  if (NUMERIC_OID.test(type)) return type
  if (!DESCRIPTOR.test(type)) {
    throw new DistinguishedNameError(`'${type}' is not an attribute type (a name such as OU or CN, or a numeric OID)`, position)
  }
  const upper = type.toUpperCase()
  return UPPER_CASE_TYPES.has(upper) ? upper : type
}

export function formatDistinguishedName (rdns: Rdn[]): string {
  let written = ''
  for (const [index, rdn] of rdns.entries()) {
    if (index > 0) written += ','
    const position = Array.from(written).length + 1
    if (rdn.value === '') throw new DistinguishedNameError(`${rdn.type} has an empty value`, position)
    written += `${canonicalType(rdn.type, position)}=${escapeAttributeValue(rdn.value)}`
  }
  return written
}

/** A character of a value being read, and whether it was escaped (an escaped space is kept at either end). */
interface ValueCharacter { text: string, escaped: boolean }

class DnReader {
  private readonly characters: string[]
  private index = 0

  constructor (dn: string) {
    this.characters = Array.from(dn)
  }

  /** 1-based position of the next character. */
  get position (): number { return this.index + 1 }
  get atEnd (): boolean { return this.index >= this.characters.length }
  peek (): string | undefined { return this.characters[this.index] }
  next (): string { return this.characters[this.index++] }

  skipSpaces (): void {
    while (this.peek() === ' ') this.index++
  }

  fail (message: string, position = this.position): never {
    throw new DistinguishedNameError(message, position)
  }

  readRdns (): Rdn[] {
    const rdns: Rdn[] = []
    for (;;) {
      rdns.push(this.readRdn())
      if (this.atEnd) return rdns
      // readValue stops only at the end or at a comma.
      this.next()
    }
  }

  private readRdn (): Rdn {
    this.skipSpaces()
    const typeStart = this.position
    let type = ''
    while (!this.atEnd && /[A-Za-z0-9.-]/.test(this.peek()!)) type += this.next()
    if (type === '') {
      if (this.atEnd || this.peek() === ',') this.fail('expected an attribute type (an empty RDN)')
      this.fail(`expected an attribute type, found '${this.peek()!}'`)
    }
    const canonical = canonicalType(type, typeStart)
    this.skipSpaces()
    if (this.peek() !== '=') this.fail(`expected '=' after the attribute type ${type}`)
    this.next()
    this.skipSpaces()
    return { type: canonical, value: this.readValue(canonical) }
  }

  private readValue (type: string): string {
    const valueStart = this.position
    if (this.peek() === '#') {
      this.fail(`${type}=#… is a BER-encoded (hex) value, which is not supported; write the value as a string, escaping a leading # as \\#`)
    }
    const value: ValueCharacter[] = []
    while (!this.atEnd && this.peek() !== ',') {
      const position = this.position
      const character = this.next()
      if (character === '\\') value.push(...this.readEscape(position))
      else if (character === '+') this.fail(`multi-valued RDNs (${type}=…+…) are not supported: Active Directory does not use them; escape a literal + as \\+`, position)
      else if (MUST_BE_ESCAPED.has(character)) this.fail(`'${character}' must be escaped as \\${character} in a value`, position)
      else if (character === '\0') this.fail('a NUL character must be escaped as \\00', position)
      else if (isLoneSurrogate(character)) this.fail('a lone UTF-16 surrogate is not a character', position)
      else value.push({ text: character, escaped: false })
    }
    // Unescaped spaces before the comma separate, they are not part of the value.
    while (value.length > 0 && value[value.length - 1].text === ' ' && !value[value.length - 1].escaped) value.pop()
    if (value.length === 0) this.fail(`${type} has an empty value`, valueStart)
    return value.map(character => character.text).join('')
  }

  /** After a backslash: one escaped character, or a run of hex pairs decoded together as UTF-8. */
  private readEscape (backslashPosition: number): ValueCharacter[] {
    const first = this.peek()
    if (first === undefined) this.fail('a backslash at the end: escape a literal backslash as \\\\', backslashPosition)
    if (ESCAPABLE.has(first)) return [{ text: this.next(), escaped: true }]
    if (!this.hexPairAt(this.index)) {
      this.fail(`'\\${first}' is not an escape: a backslash is followed by one of , + " \\ < > ; = # space, or two hex digits`, backslashPosition)
    }
    const bytes: number[] = []
    for (;;) {
      bytes.push(Number.parseInt(this.characters[this.index] + this.characters[this.index + 1], 16))
      this.index += 2
      // A character's UTF-8 bytes are written as consecutive escapes (\C3\A9): decode the run together.
      if (this.peek() !== '\\' || !this.hexPairAt(this.index + 1)) break
      this.index++
    }
    try {
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes))
      return Array.from(text, character => ({ text: character, escaped: true }))
    } catch {
      return this.fail('the hex escapes are not valid UTF-8', backslashPosition)
    }
  }

  private hexPairAt (index: number): boolean {
    return /^[0-9A-Fa-f]{2}$/.test(`${this.characters[index] ?? ''}${this.characters[index + 1] ?? ''}`)
  }
}

function isLoneSurrogate (character: string): boolean {
  const code = character.charCodeAt(0)
  return character.length === 1 && code >= 0xd800 && code <= 0xdfff
}

export function parseDistinguishedName (dn: string): Rdn[] {
  if (dn.trim() === '') {
    if (dn !== '') throw new DistinguishedNameError('expected an attribute type (the name is only spaces)', 1)
    return []
  }
  return new DnReader(dn).readRdns()
}

export function distinguishedNameKey (dn: string | Rdn[]): string {
  return formatDistinguishedName(typeof dn === 'string' ? parseDistinguishedName(dn) : dn).toLowerCase()
}

/** `contoso.com` → `DC=contoso,DC=com`. */
export function domainDistinguishedName (domain: string): string {
  const labels = domain.toLowerCase().split('.')
  if (labels.some(label => label === '')) throw new DistinguishedNameError(`'${domain}' is not a domain name`, 1)
  return formatDistinguishedName(labels.map(label => ({ type: 'DC', value: label })))
}

/** `CN=<cn escaped>,<parent in canonical form>`. */
export function userDistinguishedName (cn: string, parentDn: string): string {
  return formatDistinguishedName([{ type: 'CN', value: cn }, ...parseDistinguishedName(parentDn)])
}

/** The DN one level up, canonical; '' for a single RDN. */
export function parentOf (dn: string): string {
  return formatDistinguishedName(parseDistinguishedName(dn).slice(1))
}

/** Whether `dn` is `ancestorDn` or lies anywhere below it (compared case-insensitively). */
export function isWithin (dn: string, ancestorDn: string): boolean {
  const rdns = parseDistinguishedName(dn)
  const ancestor = parseDistinguishedName(ancestorDn)
  if (ancestor.length > rdns.length) return false
  return distinguishedNameKey(rdns.slice(rdns.length - ancestor.length)) === distinguishedNameKey(ancestor)
}
