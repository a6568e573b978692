/**
 * Reads a source attribute from a normalized SCIM user by the names Entra's mapping editor
 * uses: `displayName`, `name.givenName`, `emails[type eq "work"].value`, or an extension
 * attribute such as `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
 * Names are compared case-insensitively (RFC 7643 §2.1), filter values too.
 */
export type AttributeReader = (user: Record<string, unknown>) => unknown

interface Step {
  name: string
  /** `[attribute eq "value"]` on a multi-valued attribute: the first element that matches. */
  filter?: { attribute: string, value: string }
}

const FILTERED = /^([^[]+)\[(\w+) eq "([^"]*)"\]$/

/** Parses the path once; the reader it returns runs per user without parsing anything. */
export function compileAttributePath (path: string): AttributeReader {
  let extension: string | undefined
  let rest = path
  if (path.toLowerCase().startsWith('urn:')) {
    // The attribute name follows the last colon of `<schema urn>:<attribute>`.
    const cut = path.lastIndexOf(':')
    extension = path.slice(0, cut)
    rest = path.slice(cut + 1)
  }
  const steps: Step[] = rest.split('.').map(segment => {
    const filter = FILTERED.exec(segment)
    return filter === null ? { name: segment } : { name: filter[1], filter: { attribute: filter[2], value: filter[3].toLowerCase() } }
  })
  return user => {
    let current: unknown = user
    if (extension !== undefined) current = getCaseInsensitive(user, extension)
    for (const step of steps) {
      if (current === null || typeof current !== 'object') return undefined
      current = getCaseInsensitive(current as Record<string, unknown>, step.name)
      if (step.filter === undefined) continue
      if (!Array.isArray(current)) return undefined
      const { attribute, value } = step.filter
      current = current.find(item => item !== null && typeof item === 'object' &&
        String(getCaseInsensitive(item as Record<string, unknown>, attribute) ?? '').toLowerCase() === value)
    }
    return current
  }
}

function getCaseInsensitive (object: Record<string, unknown>, name: string): unknown {
  // Normalized users carry canonical names, so the exact lookup almost always answers.
  if (Object.hasOwn(object, name)) return object[name]
  const lower = name.toLowerCase()
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key]
  return undefined
}
