import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { compileMapping } from '../../src/upload/csv-to-scim.js'
import { loadMappingFile, MappingError, parseMapping } from '../../src/upload/mapping-file.js'
import { CORE_ATTRIBUTES, ENTERPRISE_ATTRIBUTES, isComplex, type AttributeDefinition } from '../../src/upload/scim-attributes.js'
import { parseTargetPath } from '../../src/upload/target-path.js'
import { extensionSample, jobUrlOf } from '../../src/upload/schema-update.js'
import { starterMapping } from '../../src/upload/init-mapping.js'
import { PROJECT_ROOT } from '../../src/paths.js'
import { EXAMPLES, FIXTURES } from './helpers.js'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const CSV_EXTENSION = 'urn:ietf:params:scim:schemas:extension:csv:1.0:User'
const HEADER = ['WorkerID', 'WorkerStatus', 'UserID', 'FirstName', 'LastName', 'ManagerID', 'HireDate', 'OnLeave', 'Phone', 'Mobile', 'City', 'Grade']

function problemsOf (json: unknown): string[] {
  try {
    parseMapping(json)
    return []
  } catch (err) {
    if (!(err instanceof MappingError)) throw err
    return err.problems
  }
}

t.test('target paths: nested, typed multi-valued entries, the enterprise extension and custom URNs', async t => {
  t.match(parseTargetPath('name.givenname'), { attribute: 'name', subAttribute: 'givenName' })
  t.match(parseTargetPath('emails[type=work].value'), { attribute: 'emails', entryType: 'work', subAttribute: 'value' })
  t.match(parseTargetPath('phoneNumbers[type eq "mobile"].value'), { attribute: 'phoneNumbers', entryType: 'mobile' })
  t.match(parseTargetPath(`${ENTERPRISE}:manager.value`), { schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value' })
  t.match(parseTargetPath('enterprise:department'), { schema: ENTERPRISE, attribute: 'department' })
  t.match(parseTargetPath(`${CSV_EXTENSION}:HireDate`), { schema: CSV_EXTENSION, attribute: 'HireDate', expected: undefined })
  t.throws(() => parseTargetPath('titel'), /titel is not a SCIM core user attribute/)
  t.throws(() => parseTargetPath('emails.value'), /emails is multi-valued; say which entry, e.g. emails\[type=work\]\.value/)
  t.throws(() => parseTargetPath('name'), /name has sub-attributes; write e\.g\. name\.formatted/)
  t.throws(() => parseTargetPath('title.value'), /title is a simple value/)
  t.throws(() => parseTargetPath('addresses[type=work].type'), /the entry's type is the one in \[type=work\]/)
  t.throws(() => parseTargetPath(`${CSV_EXTENSION}:Dates.hire`), /attributes of a custom extension are simple values/)
})

t.test('a row becomes a SCIM user: columns, templates, equals, map, constants and types', async t => {
  const mapping = parseMapping({
    attributes: {
      externalId: 'WorkerID',
      userName: { template: '{UserID}@contoso.com' },
      active: { column: 'WorkerStatus', equals: ['Active', 'On leave'] },
      'name.givenName': 'firstname',
      'name.familyName': 'LastName',
      'phoneNumbers[type=work].value': 'Phone',
      'phoneNumbers[type=mobile].value': 'Mobile',
      'emails[type=work].value': { template: '{UserID}@contoso.com' },
      'emails[type=work].primary': { constant: true },
      'addresses[type=work].locality': 'City',
      'addresses[type=work].country': { constant: 'DE' },
      'enterprise:manager.value': 'ManagerID',
      'enterprise:organization': { constant: 'Woodgrove' },
      [`${CSV_EXTENSION}:HireDate`]: { column: 'HireDate', type: 'dateTime' },
      [`${CSV_EXTENSION}:OnLeave`]: { column: 'OnLeave', type: 'boolean' },
      [`${CSV_EXTENSION}:Grade`]: { column: 'Grade', map: { A: 1, B: 2 }, type: 'integer' }
    }
  })
  const convert = compileMapping(mapping, HEADER)
  const row = (fields: string[]): ReturnType<typeof convert> => convert({ row: 7, fields })
  t.same(row(['1001', 'on leave', 'zoe', 'Zoë', ' Ångström ', '', '2024-01-31', 'yes', '+49 1', '', 'Köln', 'b']), {
    ok: true,
    row: 7,
    externalId: '1001',
    user: {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, CSV_EXTENSION],
      externalId: '1001',
      userName: 'zoe@contoso.com',
      active: true,
      name: { givenName: 'Zoë', familyName: 'Ångström' },
      phoneNumbers: [{ type: 'work', value: '+49 1' }],
      emails: [{ type: 'work', value: 'zoe@contoso.com', primary: true }],
      addresses: [{ type: 'work', locality: 'Köln', country: 'DE' }],
      [ENTERPRISE]: { manager: { value: '' }, organization: 'Woodgrove' },
      [CSV_EXTENSION]: { HireDate: '2024-01-31', OnLeave: true, Grade: 2 }
    }
  }, 'an empty manager cell is sent as "" (unlink); other empty cells are left out; a mobile entry without a value is not sent')

  const noCity = row(['1002', 'Inactive', 'max', 'Max', 'Muster', '1001', '', '', '', '', '', ''])
  t.match(noCity, { ok: true, user: { active: false, [ENTERPRISE]: { manager: { value: '1001' } } } })
  t.notOk('addresses' in (noCity as { user: object }).user, 'an entry whose only values are constants is not sent')

  t.same(row(['', 'Active', '', 'A', 'B', '', '31/01/2024', 'maybe', '', '', '', 'C']), {
    ok: false,
    row: 7,
    problems: [
      { row: 7, column: 'WorkerID', attribute: 'externalId', reason: 'is empty; externalId is required' },
      { row: 7, column: 'UserID', attribute: 'userName', reason: 'is empty; userName is required' },
      { row: 7, column: 'HireDate', attribute: `${CSV_EXTENSION}:HireDate`, reason: '"31/01/2024" is not an ISO 8601 date such as 2024-01-31 or 2024-01-31T09:00:00Z' },
      { row: 7, column: 'OnLeave', attribute: `${CSV_EXTENSION}:OnLeave`, reason: '"maybe" is not a boolean (true/false, yes/no, 1/0)' },
      { row: 7, column: 'Grade', attribute: `${CSV_EXTENSION}:Grade`, reason: '"C" is not one of the values "map" knows (a, b) and there is no "default"' }
    ]
  })
  t.match(convert({ row: 3, fields: ['1'] }), { ok: false, problems: [{ row: 3, reason: 'has 1 field; the header has 12' }] })
})

t.test('userName must be local@domain, values within the service\'s lengths and UTF-8', async t => {
  const convert = compileMapping(parseMapping({ attributes: { externalId: 'WorkerID', userName: 'UserID', title: 'City' } }), HEADER)
  const fields = (userId: string, city = ''): string[] => ['1', '', userId, '', '', '', '', '', '', '', city, '']
  t.match(convert({ row: 2, fields: fields('EMP1222') }), { ok: false, problems: [{ column: 'UserID', attribute: 'userName', reason: /"EMP1222" is not local@domain.*\{"template": "\{UserID\}@contoso\.com"\}/ }] })
  t.match(convert({ row: 2, fields: fields('a@b@contoso.com') }), { ok: false })
  t.match(convert({ row: 2, fields: fields('ann@contoso') }), { ok: false })
  t.match(convert({ row: 2, fields: fields('ann.lee@contoso.co.uk') }), { ok: true })
  t.match(convert({ row: 2, fields: fields('a@contoso.com', 'x'.repeat(1025)) }), { ok: false, problems: [{ column: 'City', reason: 'is 1025 characters long; title takes at most 1024' }] })
  t.match(convert({ row: 2, fields: fields('a@contoso.com', 'K\uFFFDln') }), { ok: false, problems: [{ reason: /bytes that are not UTF-8: save the file as UTF-8/ }] })
})

t.test('mapping files are checked whole, each problem with its place', async t => {
  t.same(problemsOf({ attributes: { userName: 'UserID' } }), ['"externalId" is not mapped: every record needs it (it matches HR records to users), e.g. "externalId": "WorkerID"'])
  t.same(problemsOf({ attrs: {} }), ['unknown member "attrs" (a mapping has "attributes" and an optional "description")', '"attributes" must be an object of "<SCIM attribute>": <column or value>'])
  const problems = problemsOf({
    attributes: {
      externalId: 'WorkerID',
      'name.givenName': { colum: 'FirstName' },
      active: { column: 'WorkerStatus', type: 'string' },
      title: { template: 'Dr. {LastName' },
      userType: { column: 'WorkerType', template: '{x}' },
      'emails[type=work].primary': { constant: 'yes please' },
      'enterprise:department': { column: 'Dept', equals: 'Sales' },
      nickName: 'UserID',
      NICKNAME: 'FirstName',
      'urn:x:1.0:User:Level': { column: 'Level', map: { A: 1 }, type: 'boolean' }
    }
  })
  t.same(problems, [
    'attributes["name.givenName"]: unknown member "colum" (known: column, template, constant, equals, map, default, type, required)',
    'attributes["active"]: active is a boolean; "type": "string" does not fit',
    'attributes["title"]: "template": the "{" at character 5 is not closed',
    'attributes["userType"]: needs exactly one of "column", "template" or "constant"',
    'attributes["emails[type=work].primary"]: "yes please" is not a boolean (true/false, yes/no, 1/0)',
    'attributes["enterprise:department"]: enterprise:department is a string, not a boolean',
    'attributes["NICKNAME"]: the same attribute as "nickName"'
  ])
  t.throws(() => compileMapping(parseMapping({ attributes: { externalId: 'WorkerId', userName: { template: '{Login}@contoso.com' } } }), HEADER, 'm.json'),
    { message: /m\.json: 2 problems:\n {2}- column "Login" \(for userName\) is not in the CSV header\n {2}- the header's columns are: WorkerID, WorkerStatus/ })
  await t.rejects(loadMappingFile('/nonexistent.json'), /nonexistent\.json: cannot be read: no such file/)
})

t.test('the converted CSV2SCIM mappings load and fit the fixture files\' header', async t => {
  const header = readFileSync(path.join(FIXTURES, 'employeeData.csv'), 'utf8').split(/\r?\n/)[0]!.split(',').map(name => name.replace(/"/g, ''))
  const files = readdirSync(EXAMPLES).filter(file => file.endsWith('.json'))
  t.same(files.sort(), ['attribute-mapping.json', 'contractor.json', 'employee.json', 'intern.json'])
  for (const file of files) {
    const mapping = await loadMappingFile(path.join(EXAMPLES, file))
    t.doesNotThrow(() => compileMapping(mapping, header), file)
    t.ok(mapping.attributes.some(attribute => attribute.target.attribute === 'manager'), `${file} maps the manager`)
  }
})

t.test('the attribute catalogue agrees with the service\'s JSON Schemas', async t => {
  const core = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'schemas', 'scim-user.json'), 'utf8'))
  const enterprise = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'schemas', 'enterprise-user.json'), 'utf8'))
  const resolve = (schema: any, node: any): any => node.$ref !== undefined ? schema.definitions[node.$ref.replace('#/definitions/', '')] : node
  const check = (schema: any, attributes: ReadonlyMap<string, AttributeDefinition>): void => {
    for (const attribute of attributes.values()) {
      const node = resolve(schema, schema.properties[attribute.name])
      t.ok(node, `${attribute.name} is in ${schema.title}`)
      if (!isComplex(attribute)) {
        t.equal(attribute.maxLength, node.maxLength, `${attribute.name} maxLength`)
        t.ok([node.type].flat().includes(attribute.type), `${attribute.name} type`)
        continue
      }
      const properties = resolve(schema, attribute.multiValued ? node.items : node).properties
      for (const sub of Object.values(attribute.subAttributes)) {
        t.equal(sub.maxLength, properties[sub.name]?.maxLength, `${attribute.name}.${sub.name} maxLength`)
        t.ok([properties[sub.name]?.type].flat().includes(sub.type), `${attribute.name}.${sub.name} type`)
      }
    }
  }
  check(core, CORE_ATTRIBUTES)
  check(enterprise, ENTERPRISE_ATTRIBUTES)
})

t.test('--schema-update sends a one-user sample typed like the mapping, to the job derived from the bulkUpload URL', async t => {
  const mapping = parseMapping({ attributes: { externalId: 'WorkerID', [`${CSV_EXTENSION}:HireDate`]: { column: 'HireDate', type: 'dateTime' }, [`${CSV_EXTENSION}:OnLeave`]: { column: 'OnLeave', type: 'boolean' }, [`${CSV_EXTENSION}:Location`]: 'City', 'enterprise:department': 'City' } })
  t.same((extensionSample(mapping) as any).Operations[0].data[CSV_EXTENSION], { HireDate: '2024-01-31T00:00:00Z', OnLeave: true, Location: 'text' })
  t.equal(extensionSample(parseMapping({ attributes: { externalId: 'WorkerID' } })), undefined)
  t.equal(jobUrlOf('https://graph.example/v1.0/servicePrincipals/s/synchronization/jobs/API2AAD.x.y/bulkUpload'), 'https://graph.example/v1.0/servicePrincipals/s/synchronization/jobs/API2AAD.x.y')
  t.throws(() => jobUrlOf('https://graph.example/v1.0/servicePrincipals/s'), /is not a bulkUpload URL/)
})

t.test('a starter mapping places the usual columns and puts the others in a custom extension', async t => {
  const { mapping, notes } = starterMapping(['Employee ID', 'Status', 'Login', 'First Name', 'Surname', 'E-mail', 'Hire Date', 'Remote', '2nd Phone', 'Zip'],
    [['7', 'Active', 'zoe', 'Zoë', 'Ångström', 'zoe@contoso.com', '2020-02-01', 'true', '1', '01234']], 'fabrikam.com')
  t.same(mapping.attributes, {
    externalId: 'Employee ID',
    userName: { template: '{Login}@fabrikam.com' },
    active: { column: 'Status', equals: 'Active' },
    'name.givenName': 'First Name',
    'name.familyName': 'Surname',
    'emails[type=work].value': 'E-mail',
    'addresses[type=work].postalCode': 'Zip',
    [`${CSV_EXTENSION}:HireDate`]: { column: 'Hire Date', type: 'dateTime' },
    [`${CSV_EXTENSION}:Remote`]: { column: 'Remote', type: 'boolean' },
    [`${CSV_EXTENSION}:x2ndPhone`]: { column: '2nd Phone' }
  })
  t.match(notes.join('\n'), /userName is built as \{Login\}@fabrikam\.com/)
  t.doesNotThrow(() => parseMapping(mapping))
})
