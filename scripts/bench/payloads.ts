/**
 * Realistic SCIM users (~1.2 KB each, Core + Enterprise, shaped like Microsoft's
 * /bulkUpload example) and BulkRequest bodies. Users are numbered; the number is the
 * externalId, so every phase draws from its own range and never collides with another.
 */

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'

const GIVEN = ['Barbara', 'Kathy', 'Ahmed', 'Mei', 'Lars', 'Priya', 'Jonas', 'Amara', 'Diego', 'Yuki', 'Olga', 'Tomasz', 'Fatima', 'Noah', 'Ines', 'Kwame']
const FAMILY = ['Jensen', 'Okafor', 'Nakamura', 'Schmidt', 'Garcia', 'Kowalski', 'Haddad', 'Lindqvist', 'Moreau', 'Patel', 'Rossi', 'Dubois', 'Novak', 'Tanaka', 'Silva']
const DEPARTMENTS = ['Tour Operations', 'Finance', 'Human Resources', 'Engineering', 'Customer Success', 'Legal', 'Facilities', 'Marketing']
const TITLES = ['Tour Guide', 'Accountant', 'HR Business Partner', 'Software Engineer', 'Support Specialist', 'Counsel', 'Site Manager', 'Brand Manager']
const SITES = [
  { street: '100 Universal City Plaza', city: 'Hollywood', region: 'CA', postal: '91608', country: 'USA' },
  { street: '1 Microsoft Way', city: 'Redmond', region: 'WA', postal: '98052', country: 'USA' },
  { street: '20 Bishopsgate', city: 'London', region: 'Greater London', postal: 'EC2N 4AG', country: 'GBR' },
  { street: 'Friedrichstrasse 68', city: 'Berlin', region: 'Berlin', postal: '10117', country: 'DEU' }
]

export const GROUP_SIZE = 50

function pick<T> (list: T[], n: number): T {
  return list[n % list.length]!
}

/**
 * User number `n`. Users come in groups of 50 (a team): each reports to the first user of its
 * group, and that head reports to the previous group's head (none for the first group of
 * `rangeStart`), so manager references resolve within the data sent.
 */
export function scimUser (n: number, rangeStart: number): Record<string, unknown> {
  const id = String(n)
  const given = pick(GIVEN, n)
  const family = pick(FAMILY, Math.floor(n / GIVEN.length))
  const site = pick(SITES, Math.floor(n / 7))
  const head = n - (n % GROUP_SIZE)
  const manager = n !== head ? head : (head - GROUP_SIZE >= rangeStart ? head - GROUP_SIZE : undefined)
  const login = `${given}.${family}.${id}`.toLowerCase()
  const phone = `+1 555 ${String(n % 1000).padStart(3, '0')} ${String(n % 10000).padStart(4, '0')}`
  return {
    schemas: [CORE, ENTERPRISE],
    externalId: id,
    userName: `${login}@contoso.com`,
    name: {
      formatted: `${given} ${family}`,
      familyName: family,
      givenName: given,
      honorificPrefix: n % 2 === 0 ? 'Ms.' : 'Mr.',
      middleName: pick(GIVEN, n + 3).slice(0, 1)
    },
    displayName: `${given} ${family}`,
    nickName: given,
    emails: [{ value: `${login}@contoso.com`, type: 'work', primary: true }],
    addresses: [{
      type: 'work',
      streetAddress: site.street,
      locality: site.city,
      region: site.region,
      postalCode: site.postal,
      country: site.country,
      formatted: `${site.street}\n${site.city}, ${site.region} ${site.postal} ${site.country}`,
      primary: true
    }],
    phoneNumbers: [{ value: phone, type: 'work' }, { value: phone.replace('555', '556'), type: 'mobile' }],
    userType: 'Employee',
    title: pick(TITLES, n),
    preferredLanguage: 'en-US',
    locale: 'en-US',
    timezone: 'America/Los_Angeles',
    active: true,
    [ENTERPRISE]: {
      employeeNumber: id,
      costCenter: String(4000 + (n % 250)),
      organization: 'Contoso Ltd',
      division: 'Operations',
      department: pick(DEPARTMENTS, Math.floor(n / GROUP_SIZE)),
      ...(manager !== undefined ? { manager: { value: String(manager), displayName: `${pick(GIVEN, manager)} ${pick(FAMILY, Math.floor(manager / GIVEN.length))}` } } : {})
    }
  }
}

/** A BulkRequest text of POST operations for users `first … first+count-1`. */
export function bulkBody (first: number, count: number, rangeStart: number): string {
  const operations = []
  for (let i = 0; i < count; i++) {
    const n = first + i
    operations.push({ method: 'POST', bulkId: `u${n}`, path: '/Users', data: scimUser(n, rangeStart) })
  }
  return JSON.stringify({ schemas: [BULK], Operations: operations, failOnErrors: null })
}

/** Bodies covering `users` users starting at `rangeStart`, `perRequest` users each. */
export function bulkBodies (rangeStart: number, users: number, perRequest: number): string[] {
  const bodies: string[] = []
  for (let first = rangeStart; first < rangeStart + users; first += perRequest) {
    bodies.push(bulkBody(first, Math.min(perRequest, rangeStart + users - first), rangeStart))
  }
  return bodies
}

export function averageBytesPerUser (bodies: string[], usersPerBody: number): number {
  const bytes = bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0)
  return bytes / (bodies.length * usersPerBody)
}
