import { lookupField, USER_DATA_SHAPE, type Shape } from '../ingest/attribute-shapes.js'
import { CORE_USER_URN, ENTERPRISE_USER_URN } from '../scim/types.js'
import type { ExtensionAttribute } from './job-schema.js'

const FILTERED_SEGMENT = /^([^[\]]+)\[(\w+) eq "([^"]*)"\]$/

/**
 * Whether a mapping or scoping filter may name `path` as its source: a member of the SCIM
 * core or enterprise user (`name.givenName`, `emails[type eq "work"].value`,
 * `urn:…:enterprise:2.0:User:department`) or a declared extension attribute
 * (`urn:…:contoso:1.0:User:HireDate`). Returns why not, or undefined when it may.
 */
export function unknownSourceReason (path: string, extensions: ExtensionAttribute[]): string | undefined {
  let shape: Shape | undefined = USER_DATA_SHAPE
  let rest = path
  if (path.toLowerCase().startsWith('urn:')) {
    const cut = path.lastIndexOf(':')
    const urn = path.slice(0, cut)
    rest = path.slice(cut + 1)
    if (urn.toLowerCase() === CORE_USER_URN.toLowerCase()) {
      // The core schema's URN may prefix a core attribute.
    } else if (urn.toLowerCase() === ENTERPRISE_USER_URN.toLowerCase()) {
      shape = USER_DATA_SHAPE === undefined ? undefined : lookupField(USER_DATA_SHAPE, ENTERPRISE_USER_URN)?.shape
    } else {
      const declared = extensions.find(attribute => attribute.schema.toLowerCase() === urn.toLowerCase() && attribute.name.toLowerCase() === rest.toLowerCase())
      return declared !== undefined ? undefined : `'${path}' is not a declared extension attribute; declare it in extensionAttributes first`
    }
  }
  const segments = rest.split('.')
  for (const [i, segment] of segments.entries()) {
    const filtered = FILTERED_SEGMENT.exec(segment)
    const name = filtered?.[1] ?? segment
    const field = shape === undefined ? undefined : lookupField(shape, name)
    if (field === undefined) {
      const where = i === 0 ? 'a SCIM user attribute' : `a sub-attribute of '${segments.slice(0, i).join('.')}'`
      return `'${name}' is not ${where}`
    }
    if (filtered !== null && field.shape?.fields.get(filtered[2]!.toLowerCase()) === undefined) {
      return `'${name}' has no sub-attribute '${filtered[2]}' to filter on`
    }
    shape = field.shape
  }
  return undefined
}
