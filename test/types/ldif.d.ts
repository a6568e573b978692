/**
 * The part of the `ldif` package (an RFC 2849 parser generated from a PEG grammar, untyped)
 * the tests use. It decodes `name::` values to UTF-8 strings while parsing, so binary values
 * that are not valid UTF-8 do not survive it.
 */
declare module 'ldif' {
  export interface LdifRecord {
    dn: string
    toObject: (options: { flatten: false }) => { dn: string, attributes: Record<string, string[]> }
  }
  export interface LdifContainer {
    type: 'content' | 'changes'
    version: number | null
    entries: LdifRecord[]
  }
  export function parse (text: string): LdifContainer
  const ldif: { parse: typeof parse }
  export default ldif
}
