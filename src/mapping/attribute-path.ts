/**
 * Reads a source attribute from a normalized SCIM user by the names Entra's mapping editor
 * uses: `displayName`, `name.givenName`, `emails[type eq "work"].value`, or an extension
 * attribute such as `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
 * Names are compared case-insensitively (RFC 7643 §2.1), filter values too.
 */
export function readAttribute (user: Record<string, unknown>, path: string): unknown {
  const { container, rest } = splitExtension(user, path)
  if (container === undefined) return undefined
  let current: unknown = container
  for (const segment of rest.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    const filter = /^([^[]+)\[(\w+) eq "([^"]*)"\]$/.exec(segment)
    if (filter !== null) {
      const list = getCaseInsensitive(current as Record<string, unknown>, filter[1])
      if (!Array.isArray(list)) return undefined
      current = list.find(item => item !== null && typeof item === 'object' &&
        String(getCaseInsensitive(item as Record<string, unknown>, filter[2]) ?? '').toLowerCase() === filter[3].toLowerCase())
    } else {
      current = getCaseInsensitive(current as Record<string, unknown>, segment)
    }
  }
  return current
}

function splitExtension (user: Record<string, unknown>, path: string): { container: Record<string, unknown> | undefined, rest: string } {
  if (!path.toLowerCase().startsWith('urn:')) return { container: user, rest: path }
  // The attribute name follows the last colon of `<schema urn>:<attribute>`.
  const cut = path.lastIndexOf(':')
  const extension = getCaseInsensitive(user, path.slice(0, cut))
  return { container: extension !== null && typeof extension === 'object' ? extension as Record<string, unknown> : undefined, rest: path.slice(cut + 1) }
}

function getCaseInsensitive (object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name]
  const lower = name.toLowerCase()
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key]
  return undefined
}
