import {
  CORE_ATTRIBUTES, CORE_USER_URN, ENTERPRISE_ATTRIBUTES, ENTERPRISE_USER_URN, isComplex,
  type AttributeDefinition, type SimpleAttribute
} from './scim-attributes.js'

/** Where a mapped value goes in the SCIM user. */
export interface TargetPath {
  /** The path as the mapping file writes it. */
  text: string
  /** CORE_USER_URN, ENTERPRISE_USER_URN or a custom extension's URN. */
  schema: string
  /** Canonical attribute name (`phoneNumbers`, `manager`, a custom extension's name as written). */
  attribute: string
  /** For an entry of a multi-valued attribute: its `type` (`work`, `mobile`). */
  entryType?: string
  /** Canonical sub-attribute name (`givenName`, `value`). */
  subAttribute?: string
  /** The type the service expects; undefined for custom extension attributes, whose type the mapping declares. */
  expected?: SimpleAttribute
}

export class TargetPathError extends Error {}

const NAME = '[A-Za-z][A-Za-z0-9_-]*'
const ATTRIBUTE_PART = new RegExp(`^(${NAME})(?:\\[\\s*type\\s*(?:=|\\s+eq\\s+)\\s*"?([^"\\]]*?)"?\\s*\\])?(?:\\.(${NAME}))?$`)
const URN_PATH = new RegExp(`^(urn:.+):(${NAME}(?:\\[[^\\]]*\\])?(?:\\.${NAME})?)$`, 'i')
/** A short form for the Enterprise User extension: `enterprise:department`. */
const ENTERPRISE_ALIAS = 'enterprise:'

/**
 * Reads a mapping target: `userName`, `name.givenName`, `emails[type=work].value`
 * (`[type eq "work"]` as Entra writes it works too), `urn:…:enterprise:2.0:User:manager.value`
 * (or `enterprise:manager.value`), `urn:…:custom:1.0:User:HireDate`.
 */
export function parseTargetPath (text: string): TargetPath {
  let schema = CORE_USER_URN
  let rest = text.trim()
  if (rest.toLowerCase().startsWith(ENTERPRISE_ALIAS)) {
    schema = ENTERPRISE_USER_URN
    rest = rest.slice(ENTERPRISE_ALIAS.length)
  } else if (rest.toLowerCase().startsWith('urn:')) {
    const urn = URN_PATH.exec(rest)
    if (urn === null) throw new TargetPathError(`'${text}' is not <schema URN>:<attribute>`)
    schema = canonicalSchema(urn[1]!)
    rest = urn[2]!
  }
  const parts = ATTRIBUTE_PART.exec(rest)
  if (parts === null) throw new TargetPathError(`'${text}' is not an attribute path such as title, name.givenName or emails[type=work].value`)
  const [, attribute, entryType, subAttribute] = parts as unknown as [string, string, string | undefined, string | undefined]
  if (schema === CORE_USER_URN) return resolve(text, schema, CORE_ATTRIBUTES.get(attribute.toLowerCase()), attribute, entryType, subAttribute, 'a SCIM core user attribute')
  if (schema === ENTERPRISE_USER_URN) return resolve(text, schema, ENTERPRISE_ATTRIBUTES.get(attribute.toLowerCase()), attribute, entryType, subAttribute, 'an Enterprise User attribute')
  if (entryType !== undefined || subAttribute !== undefined) {
    throw new TargetPathError(`'${text}': attributes of a custom extension are simple values (${schema}:${attribute})`)
  }
  return { text, schema, attribute }
}

function canonicalSchema (urn: string): string {
  if (urn.toLowerCase() === CORE_USER_URN.toLowerCase()) return CORE_USER_URN
  if (urn.toLowerCase() === ENTERPRISE_USER_URN.toLowerCase()) return ENTERPRISE_USER_URN
  return urn
}

function resolve (text: string, schema: string, definition: AttributeDefinition | undefined, written: string,
  entryType: string | undefined, subName: string | undefined, what: string): TargetPath {
  if (definition === undefined) throw new TargetPathError(`'${text}': ${written} is not ${what}`)
  if (!isComplex(definition)) {
    if (entryType !== undefined || subName !== undefined) throw new TargetPathError(`'${text}': ${definition.name} is a simple value; write just ${definition.name}`)
    return { text, schema, attribute: definition.name, expected: definition }
  }
  if (definition.multiValued && entryType === undefined) {
    throw new TargetPathError(`'${text}': ${definition.name} is multi-valued; say which entry, e.g. ${definition.name}[type=work].${subName ?? 'value'}`)
  }
  if (!definition.multiValued && entryType !== undefined) throw new TargetPathError(`'${text}': ${definition.name} is not multi-valued; drop the [type=…]`)
  if (entryType === '') throw new TargetPathError(`'${text}': the entry type is empty`)
  const example = Object.values(definition.subAttributes).find(sub => sub.name !== 'type')!.name
  if (subName === undefined) throw new TargetPathError(`'${text}': ${definition.name} has sub-attributes; write e.g. ${written}${entryType !== undefined ? `[type=${entryType}]` : ''}.${example}`)
  const sub = definition.subAttributes[subName.toLowerCase()]
  if (sub === undefined) throw new TargetPathError(`'${text}': ${subName} is not a sub-attribute of ${definition.name} (${Object.values(definition.subAttributes).map(s => s.name).join(', ')})`)
  if (definition.multiValued && sub.name === 'type') throw new TargetPathError(`'${text}': the entry's type is the one in [type=${entryType!}]`)
  return { text, schema, attribute: definition.name, entryType, subAttribute: sub.name, expected: sub }
}

/** One key per place in the user, to find two mappings writing the same value. */
export function targetKey (path: TargetPath): string {
  return [path.schema.toLowerCase(), path.attribute.toLowerCase(), path.entryType?.toLowerCase() ?? '', path.subAttribute?.toLowerCase() ?? ''].join('|')
}
