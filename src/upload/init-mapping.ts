import { openCsv } from './csv-reader.js'
import type { MappingFile, ValueSpec } from './mapping-file.js'
import { convertValue } from './value-types.js'

/** Where init puts columns it cannot place: CSV2SCIM's namespace for whole CSV rows. */
export const CSV_EXTENSION_URN = 'urn:ietf:params:scim:schemas:extension:csv:1.0:User'
const SAMPLE_ROWS = 200

/**
 * Column names (compared lower-case, letters and digits only) that usually hold a SCIM
 * attribute, first match wins. Status-like columns become `"equals": "Active"`.
 */
const GUESSES: Array<{ target: string, names: string[] }> = [
  { target: 'externalId', names: ['externalid', 'workerid', 'employeeid', 'personid', 'personnelnumber', 'hrid'] },
  { target: 'userName', names: ['username', 'userid', 'userprincipalname', 'upn', 'login', 'loginname'] },
  { target: 'active', names: ['active', 'enabled', 'isactive', 'workerstatus', 'employmentstatus', 'employeestatus', 'status'] },
  { target: 'name.givenName', names: ['givenname', 'firstname', 'preferredfirstname'] },
  { target: 'name.familyName', names: ['familyname', 'lastname', 'surname', 'preferredlastname'] },
  { target: 'name.middleName', names: ['middlename'] },
  { target: 'displayName', names: ['displayname', 'fullname', 'preferredname', 'name'] },
  { target: 'nickName', names: ['nickname'] },
  { target: 'title', names: ['title', 'jobtitle', 'position', 'positiontitle'] },
  { target: 'userType', names: ['usertype', 'workertype', 'employeetype', 'employmenttype'] },
  { target: 'preferredLanguage', names: ['preferredlanguage', 'language'] },
  { target: 'emails[type=work].value', names: ['email', 'workemail', 'mail', 'emailaddress'] },
  { target: 'phoneNumbers[type=work].value', names: ['officephone', 'workphone', 'phone', 'phonenumber', 'businessphone', 'telephonenumber'] },
  { target: 'phoneNumbers[type=mobile].value', names: ['mobile', 'mobilephone', 'cellphone'] },
  { target: 'addresses[type=work].streetAddress', names: ['streetaddress', 'street', 'address'] },
  { target: 'addresses[type=work].locality', names: ['locality', 'city', 'town'] },
  { target: 'addresses[type=work].region', names: ['region', 'state', 'province'] },
  { target: 'addresses[type=work].postalCode', names: ['postalcode', 'zipcode', 'zip', 'postcode'] },
  { target: 'addresses[type=work].country', names: ['country', 'countrycode', 'twolettercountrycode'] },
  { target: 'enterprise:employeeNumber', names: ['employeenumber'] },
  { target: 'enterprise:costCenter', names: ['costcenter', 'costcentre'] },
  { target: 'enterprise:organization', names: ['organization', 'organisation', 'company'] },
  { target: 'enterprise:division', names: ['division'] },
  { target: 'enterprise:department', names: ['department'] },
  { target: 'enterprise:manager.value', names: ['managerid', 'manager', 'managerworkerid', 'manageremployeeid'] }
]
const STATUS_LIKE = new Set(['workerstatus', 'employmentstatus', 'employeestatus', 'status'])

export interface StarterMapping {
  mapping: MappingFile
  /** What the user should look at before using it. */
  notes: string[]
}

/** A starter mapping for a CSV file, from its header and first rows. */
export async function initMapping (csvPath: string, options: { delimiter?: string, domain?: string } = {}): Promise<StarterMapping> {
  const csv = await openCsv(csvPath, { delimiter: options.delimiter })
  const samples: string[][] = []
  for await (const record of csv.rows) {
    samples.push(record.fields)
    if (samples.length >= SAMPLE_ROWS) break
  }
  await csv.rows.return()
  return starterMapping(csv.header, samples, options.domain ?? 'contoso.com')
}

export function starterMapping (header: string[], samples: string[][], domain: string): StarterMapping {
  const attributes: Record<string, ValueSpec> = {}
  const notes: string[] = []
  const used = new Set<number>()
  const normalized = header.map(name => name.toLowerCase().replace(/[^a-z0-9]/g, ''))
  const values = (index: number): string[] => samples.map(fields => (fields[index] ?? '').trim()).filter(value => value !== '')

  for (const guess of GUESSES) {
    const index = guess.names.map(name => normalized.indexOf(name)).find(i => i >= 0 && !used.has(i))
    if (index === undefined) continue
    used.add(index)
    const column = header[index]!
    if (guess.target === 'userName' && !values(index).every(value => value.includes('@')) && !/[{}]/.test(column)) {
      attributes.userName = { template: `{${column}}@${domain}` }
      notes.push(`userName is built as {${column}}@${domain}: use one of your directory's verified domains`)
    } else if (guess.target === 'active' && STATUS_LIKE.has(normalized[index]!)) {
      const active = values(index).find(value => value.toLowerCase() === 'active') ?? 'Active'
      attributes.active = { column, equals: active }
      notes.push(`active is true when ${column} is "${active}"; check the values your HR system uses`)
    } else {
      attributes[guess.target] = column
    }
  }
  if (attributes.externalId === undefined) notes.push('no column looked like the worker id: map "externalId" to the column that identifies a worker')
  if (attributes.userName === undefined) notes.push('no column looked like the user name: map "userName" (local@domain) before creating users')

  for (let index = 0; index < header.length; index++) {
    if (used.has(index)) continue
    const name = attributeName(header[index]!)
    if (name === undefined) { notes.push(`column "${header[index]!}" has no letters to name an attribute after; it is left out`); continue }
    const type = guessType(values(index))
    attributes[`${CSV_EXTENSION_URN}:${name}`] = type === 'string' && name === header[index] ? header[index]! : { column: header[index]!, ...(type !== 'string' ? { type } : {}) }
  }
  if (header.some((_, index) => !used.has(index))) {
    notes.push(`the other columns go to the custom extension ${CSV_EXTENSION_URN}; --schema-update declares them on the job, or delete those you do not need`)
  }
  return { mapping: { description: 'Starter mapping written by scim-inbound upload --init-mapping: review every line.', attributes }, notes }
}

/** Booleans and ISO dates are typed when every sampled value is one; anything else stays text (zip codes keep their zeros). */
function guessType (values: string[]): 'string' | 'boolean' | 'dateTime' {
  if (values.length === 0) return 'string'
  if (values.every(value => /^(true|false)$/i.test(value))) return 'boolean'
  if (values.every(value => /^\d{4}-\d{2}-\d{2}/.test(value) && convertValue(value, 'dateTime').ok)) return 'dateTime'
  return 'string'
}

/** SCIM attribute names are a letter, then letters, digits, _ and -: "Hire Date" → HireDate, "2nd Phone" → x2ndPhone. */
function attributeName (column: string): string | undefined {
  const name = column.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9_-]/g, '')
  if (name === '') return undefined
  return /^[A-Za-z]/.test(name) ? name : `x${name}`
}
