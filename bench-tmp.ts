import { validateBulkRequest } from '/work/main/src/ingest/validate-bulk-request.ts'
import { normalizeBulkRequest } from '/work/main/src/ingest/normalize-bulk-request.ts'
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
function user (id: string) {
  return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT], externalId: id, userName: `b${id}@example.com`,
    name: { formatted: 'Ms. Barbara J Jensen, III', familyName: 'Jensen', givenName: 'Barbara', middleName: 'Jane', honorificPrefix: 'Ms.', honorificSuffix: 'III' },
    displayName: 'Babs Jensen', nickName: 'Babs', emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
    addresses: [{ type: 'work', streetAddress: '234300 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'USA', formatted: '100 Universal City Plaza\nHollywood, CA 91608 USA', primary: true }],
    phoneNumbers: [{ value: '555-555-5555', type: 'work' }], userType: 'Employee', title: 'Tour Guide', preferredLanguage: 'en-US', locale: 'en-US', timezone: 'America/Los_Angeles', active: true,
    [ENT]: { employeeNumber: id, costCenter: '4130', organization: 'Universal Studios', division: 'Theme Park', department: 'Tour Operations', manager: { value: '89607', displayName: 'John Smith' } } }
}
const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: Array.from({ length: 50 }, (_, i) => ({ method: 'POST', bulkId: String(i), path: '/Users', data: user(String(700000 + i)) })), failOnErrors: null }
const text = JSON.stringify(body)
const lower = text.replaceAll('"userName"', '"username"').replaceAll('"/Users"', '"/users"').replaceAll('"givenName"', '"givenname"')
console.log('body bytes', text.length, 'per user', Math.round(text.length / 50))
function bench (name: string, fn: () => unknown) {
  for (let i = 0; i < 3000; i++) fn()
  const runs = []
  for (let r = 0; r < 5; r++) {
    const n = 5000; const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn()
    runs.push(Number(process.hrtime.bigint() - t0) / n / 1000)
  }
  runs.sort((a, b) => a - b)
  const med = runs[2]!
  console.log(`${name.padEnd(40)} ${med.toFixed(1)} µs/request  ${(med / 50).toFixed(2)} µs/user`)
}
const parsedCanon = JSON.parse(text); const parsedLower = JSON.parse(lower)
if (!validateBulkRequest(parsedCanon).ok || !validateBulkRequest(parsedLower).ok) throw new Error('not ok')
bench('JSON.parse (reference)', () => JSON.parse(text))
bench('normalize only (canonical)', () => normalizeBulkRequest(parsedCanon))
bench('validateBulkRequest (canonical)', () => validateBulkRequest(parsedCanon))
bench('validateBulkRequest (lower-case names)', () => validateBulkRequest(parsedLower))
bench('JSON.parse + validateBulkRequest', () => validateBulkRequest(JSON.parse(text)))
