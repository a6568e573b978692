// Real client payloads (Microsoft's sample files, the Graph documentation examples) must pass; bad ones must be
// refused with the operation index, bulkId and a pointer into the body as sent.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { countOperations, validateBulkRequest } from '../../src/ingest/validate-bulk-request.js'
import type { BulkValidationError, BulkValidationResult, NormalizedBulkRequest } from '../../src/scim/types.js'
import { ENTRA_SAMPLES } from '../helpers/entra-samples.js'


function readSample (file: string): unknown {
  return JSON.parse(readFileSync(path.join(ENTRA_SAMPLES, file), 'utf8'))
}

interface PostmanItem { name: string, item?: PostmanItem[], request?: { body?: { raw?: string } } }

/** The raw body of the Postman collection's "SCIM bulk request upload" request. */
function postmanUploadBody (): unknown {
  const collection = readSample('Entra ID Inbound Provisioning.postman_collection.json') as { item: PostmanItem[] }
  const find = (items: PostmanItem[]): PostmanItem | undefined => {
    for (const i of items) {
      if (i.name === 'SCIM bulk request upload') return i
      const found = i.item === undefined ? undefined : find(i.item)
      if (found !== undefined) return found
    }
    return undefined
  }
  const raw = find(collection.item)?.request?.body?.raw
  if (raw === undefined) throw new Error('Postman upload request not found')
  return JSON.parse(raw)
}

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'

function graphUser (externalId: string, given: string, managerId: string): Record<string, unknown> {
  return {
    schemas: [CORE, ENTERPRISE],
    externalId,
    userName: `${given[0]}jensen@example.com`,
    name: { formatted: `Ms. ${given} J Jensen, III`, familyName: 'Jensen', givenName: given, middleName: 'Jane', honorificPrefix: 'Ms.', honorificSuffix: 'III' },
    displayName: `${given} Jensen`,
    nickName: given,
    emails: [{ value: `${given[0]}jensen@example.com`, type: 'work', primary: true }],
    addresses: [{ type: 'work', streetAddress: '234300 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'USA', formatted: '100 Universal City Plaza\nHollywood, CA 91608 USA', primary: true }],
    phoneNumbers: [{ value: '555-555-5555', type: 'work' }],
    userType: 'Employee',
    title: 'Tour Guide',
    preferredLanguage: 'en-US',
    locale: 'en-US',
    timezone: 'America/Los_Angeles',
    active: true,
    [ENTERPRISE]: { employeeNumber: externalId, costCenter: '4130', organization: 'Universal Studios', division: 'Theme Park', department: 'Tour Operations', manager: { value: managerId, displayName: 'John Smith' } }
  }
}

/** entra.md §2.4: Graph v1.0 bulkUpload Example 1 (two users, the second managed by the first). */
function graphExample1 (): Record<string, unknown> {
  return {
    schemas: [BULK],
    Operations: [
      { method: 'POST', bulkId: '701984', path: '/Users', data: graphUser('701984', 'Barbara', '89607') },
      { method: 'POST', bulkId: '701985', path: '/Users', data: graphUser('701985', 'Kathy', '701984') }
    ],
    failOnErrors: null
  }
}

/** entra.md §2.5: partial update (department, active). */
const graphExample3 = {
  schemas: [BULK],
  Operations: [{
    method: 'POST',
    bulkId: '7172023',
    path: '/Users',
    data: { schemas: [CORE, ENTERPRISE], externalId: '7172023', active: false, [ENTERPRISE]: { department: 'Tour Ops' } }
  }],
  failOnErrors: null
}

/** entra.md §2.6: beta DELETE. */
const graphExample4 = {
  schemas: [BULK],
  Operations: [{ method: 'DELETE', bulkId: '7172023', path: '/Users', data: { schemas: [CORE, ENTERPRISE], externalId: '7172023' } }]
}

/** A BulkRequest with `n` Example-1 users (distinct bulkIds and externalIds), e.g. Entra's maximum of 50. */
function bulkOf (n: number): Record<string, unknown> {
  const Operations = []
  for (let i = 0; i < n; i++) {
    const id = String(700000 + i)
    Operations.push({ method: 'POST', bulkId: id, path: '/Users', data: graphUser(id, 'Barbara', '89607') })
  }
  return { schemas: [BULK], Operations, failOnErrors: null }
}

function accept (t: Test, body: unknown): NormalizedBulkRequest {
  const r: BulkValidationResult = validateBulkRequest(body)
  if (!r.ok) {
    t.fail('request refused', { errors: r.errors })
    throw new Error('refused')
  }
  return r.request
}

function refuse (t: Test, body: unknown): BulkValidationError[] {
  const r = validateBulkRequest(body)
  t.equal(r.ok, false, 'request refused')
  return r.ok ? [] : r.errors
}

/** A valid one-operation request whose operation (and its data) the test then spoils. */
function oneUser (data: Record<string, unknown> = {}, op: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [BULK],
    Operations: [{ method: 'POST', bulkId: 'b0', path: '/Users', data: { externalId: 'e0', userName: 'u0', ...data }, ...op }]
  }
}

t.test('Microsoft samples are accepted and normalized', async t => {
  t.test('Extended-SCIM-bulk-request-Core+Enterprise.json', async t => {
    const req = accept(t, readSample('Extended-SCIM-bulk-request-Core+Enterprise.json'))
    t.equal(req.operations.length, 3)
    t.same(req.operations.map(o => [o.index, o.method, o.path]), [[0, 'POST', '/Users'], [1, 'POST', '/Users'], [2, 'POST', '/Users']])
    const [first, second, third] = req.operations
    t.equal(second?.data.userName, 'DoeJane', '`username` becomes `userName`')
    t.notOk(Object.hasOwn(second?.data ?? {}, 'username'))
    t.equal(second?.data.resourceType, 'User', 'resourceType tolerated')
    t.equal(first?.data.id, '2819c223-7f76-453a-919d-413861904646', 'id tolerated')
    t.same(first?.data['urn:ietf:params:scim:schemas:extension:sap:2.0:User'], { payGrade: 'Level-2', hireDate: '2020-01-01', onLeave: 'False' }, 'custom extension kept as sent')
    t.same(first?.data[ENTERPRISE], {
      employeeNumber: '701984',
      costCenter: '4130',
      organization: 'Universal Studios',
      division: 'Theme Park',
      department: 'Tour Operations',
      manager: { value: '89607', $ref: '../Users/26118915-6090-4610-87e4-49d8ca9f808d', displayName: 'John Smith' }
    })
    t.equal(second?.bulkId, third?.bulkId, 'a duplicate bulkId nobody references is accepted')
    t.equal(third?.data.externalId, '807600')
    const r = validateBulkRequest(readSample('Extended-SCIM-bulk-request-Core+Enterprise.json'))
    t.equal(r.ok && r.request.failOnErrors, null)
  })

  t.test('Sample-CSV-2-SCIM-payload.json', async t => {
    const req = accept(t, readSample('Sample-CSV-2-SCIM-payload.json'))
    t.equal(req.operations.length, 3)
    const data = req.operations[0]?.data
    t.equal(data?.userName, 'bjensen')
    t.same(data?.name, { familyName: 'Jensen', givenName: 'Barbara' })
    const csv = data?.['urn:ietf:params:scim:schemas:extension:csv:1.0:User'] as Record<string, unknown>
    t.equal(Object.keys(csv).length, 60, 'every custom attribute kept')
    t.equal(csv.PreferredLanguage, 'en-US', 'custom attribute names keep their spelling')
    t.equal(csv.TerminationDate, '')
  })

  t.test('Postman collection "SCIM bulk request upload" body', async t => {
    const req = accept(t, postmanUploadBody())
    t.same(req.operations.map(o => o.data.userName), ['monicang', 'dparker', 'cabbott'])
    t.same(req.operations.map(o => o.bulkId), ['897401c2-2de4-4b87-a97f-c02de3bcfc61', '897401c2-2de4-4b87-a37f-c02de3bcfc61', '897401c2-2de4-4b87-a97f-c02de3bcfd61'])
    t.same(req.operations[2]?.data['urn:ietf:params:scim:schemas:extension:csv:1.0:User'], { HireDate: '2020-07-01T00:00:00-05:00', JobCode: 'CB-1002' })
  })

  t.test('Graph v1.0 Example 1 (already canonical): data is read in place, unchanged', async t => {
    const body = graphExample1()
    const req = accept(t, body)
    const sent = body.Operations as Array<{ data: unknown }>
    t.strictSame(req.operations.map(o => o.data), (graphExample1().Operations as Array<{ data: unknown }>).map(o => o.data))
    t.equal(req.operations[0]?.data, sent[0]?.data, 'canonical input is not copied')
    t.equal(req.failOnErrors, null)
  })

  t.test('Graph Example 3 (partial update) and Example 4 (DELETE)', async t => {
    const update = accept(t, graphExample3).operations[0]
    t.equal(update?.data.active, false)
    t.same(update?.data[ENTERPRISE], { department: 'Tour Ops' })
    const del = accept(t, graphExample4)
    t.same(del.operations, [{ index: 0, method: 'DELETE', bulkId: '7172023', path: '/Users', data: { schemas: [CORE, ENTERPRISE], externalId: '7172023' } }])
    t.equal(del.failOnErrors, undefined, 'absent failOnErrors stays absent')
  })
})

t.test('names, URNs, method and path are matched case-insensitively', async t => {
  const req = accept(t, {
    SCHEMAS: ['URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:BULKREQUEST'],
    operations: [{
      Method: 'post',
      BULKID: 'x1',
      Path: '/USERS',
      Data: {
        Schemas: ['URN:ietf:params:scim:schemas:core:2.0:user', 'urn:contoso:Employee'],
        EXTERNALID: 'e1',
        UserName: 'u1',
        NAME: { givenname: 'Ann', FamilyName: 'Lee' },
        Emails: [{ Value: 'ann@example.com', TYPE: 'work', Primary: true }],
        'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER': { Department: 'Ops', Manager: { Value: 'm1', DisplayName: 'Boss' } },
        'urn:contoso:Employee': { HireDate: '2020-01-01', username: 'not core' },
        CustomThing: 'kept'
      }
    }, { method: 'Delete', path: '/users', data: { externalId: 'e2' } }]
  })
  const [op, del] = req.operations
  t.same(op, {
    index: 0,
    method: 'POST',
    bulkId: 'x1',
    path: '/Users',
    data: {
      schemas: [CORE, 'urn:contoso:Employee'],
      externalId: 'e1',
      userName: 'u1',
      name: { givenName: 'Ann', familyName: 'Lee' },
      emails: [{ value: 'ann@example.com', type: 'work', primary: true }],
      [ENTERPRISE]: { department: 'Ops', manager: { value: 'm1', displayName: 'Boss' } },
      'urn:contoso:Employee': { HireDate: '2020-01-01', username: 'not core' },
      CustomThing: 'kept'
    }
  })
  t.same(del, { index: 1, method: 'DELETE', path: '/Users', data: { externalId: 'e2' } }, 'no bulkId: none invented')
})

t.test('null and empty strings clear single-valued attributes (Entra "Flow null values")', async t => {
  const req = accept(t, oneUser({ displayName: null, [ENTERPRISE]: { department: null, division: '' } }))
  t.same(req.operations[0]?.data[ENTERPRISE], { department: null, division: '' })
})

t.test('a bulkId: reference to an operation of the request is accepted', async t => {
  const body = graphExample1()
  const ops = body.Operations as Array<{ data: Record<string, { manager: { value: string } }> }>
  const kathy = ops[1]?.data[ENTERPRISE]
  if (kathy !== undefined) kathy.manager.value = 'bulkId:701984'
  t.equal(accept(t, body).operations[1]?.data[ENTERPRISE]?.manager?.value, 'bulkId:701984', 'left for the pipeline to resolve')
})

t.test('a body that is not an object is refused as a whole', async t => {
  for (const body of [null, [], 'x', 5, undefined, [graphExample3]]) {
    t.same(refuse(t, body), [{ pointer: '', message: 'request body must be a JSON object: a SCIM BulkRequest with "schemas" and "Operations"' }], JSON.stringify(body) ?? 'undefined')
  }
})

t.test('request-level problems carry no index', async t => {
  t.same(refuse(t, { schemas: [BULK] }), [{ pointer: '/Operations', message: 'Operations is required (an array of operations)' }])
  t.same(refuse(t, { schemas: [BULK], Operations: {} }), [{ pointer: '/Operations', message: 'Operations must be an array (got object)' }])
  t.same(refuse(t, { schemas: [BULK], operations: 'x' }), [{ pointer: '/operations', message: 'Operations must be an array (got "x")' }], 'pointer keeps the spelling sent')
  t.same(refuse(t, { schemas: [BULK], Operations: [] }), [{ pointer: '/Operations', message: 'Operations must contain at least 1 operation' }])
  t.same(refuse(t, { ...oneUser(), schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkResponse'] }), [{ pointer: '/schemas', message: `schemas must contain "${BULK}"` }])
  t.same(refuse(t, { Operations: oneUser().Operations }), [{ pointer: '/schemas', message: `schemas is required (an array containing "${BULK}")` }])
  t.same(refuse(t, { ...oneUser(), failOnErrors: '1' }), [{ pointer: '/failOnErrors', message: 'failOnErrors must be an integer or null (got "1")' }])
})

t.test('operation-level problems name the index, bulkId and pointer as sent', async t => {
  t.same(refuse(t, oneUser({}, { method: 'PUT' })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/method', message: 'method must be POST or DELETE (got "PUT")' }])
  t.same(refuse(t, oneUser({}, { method: undefined, METHOD: 'patch' })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/METHOD', message: 'method must be POST or DELETE (got "PATCH")' }])
  t.same(refuse(t, oneUser({}, { path: '/Groups' })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/path', message: 'path must be /Users (got "/Groups")' }])
  t.same(refuse(t, oneUser({}, { data: undefined })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/data', message: 'data is required (the user object; a DELETE carries data.externalId)' }])
  t.same(refuse(t, oneUser({}, { method: 'DELETE', data: undefined })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/data', message: 'data is required (the user object; a DELETE carries data.externalId)' }], 'DELETE needs data too')
  t.same(refuse(t, oneUser({}, { bulkId: 7 })), [{ index: 0, pointer: '/Operations/0/bulkId', message: 'bulkId must be a string (got 7)' }], 'no bulkId to report when it is not a string')
  t.same(refuse(t, { schemas: [BULK], Operations: [5] }), [{ index: 0, pointer: '/Operations/0', message: 'Operations[0] must be an object (got 5)' }])
})

t.test('externalId must be a non-empty string', async t => {
  t.same(refuse(t, oneUser({ externalId: 701984 })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/data/externalId', message: 'externalId must be a string (got 701984)' }])
  t.same(refuse(t, oneUser({ externalId: undefined })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/data/externalId', message: "externalId is required (a non-empty string: the user's identifier in the source system)" }])
  t.same(refuse(t, oneUser({ externalId: '' })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/data/externalId', message: 'externalId must not be empty' }])
  t.same(refuse(t, { schemas: [BULK], Operations: [{ method: 'DELETE', path: '/Users', data: {} }] }), [{ index: 0, pointer: '/Operations/0/data/externalId', message: "externalId is required (a non-empty string: the user's identifier in the source system)" }])
})

t.test('known attributes with the wrong type are refused, at the spelling sent', async t => {
  const errors = refuse(t, oneUser({ externalId: undefined, ExternalId: 'e0', Active: 'yes', emails: 'x', name: 5 }))
  t.same(errors, [
    { index: 0, bulkId: 'b0', pointer: '/Operations/0/data/name', message: 'name must be an object (got 5)' },
    { index: 0, bulkId: 'b0', pointer: '/Operations/0/data/Active', message: 'active must be boolean (got "yes")' },
    { index: 0, bulkId: 'b0', pointer: '/Operations/0/data/emails', message: 'emails must be an array (got "x")' }
  ])
  t.match(refuse(t, oneUser({ active: 'true' })), [{ pointer: '/Operations/0/data/active', message: /must be boolean/ }], 'no string booleans')
  t.match(refuse(t, oneUser({ emails: [{ value: 'a@b.c', primary: 'True' }] })), [{ pointer: '/Operations/0/data/emails/0/primary', message: 'emails[0].primary must be boolean (got "True")' }])
  t.match(refuse(t, oneUser({ name: { GivenName: 1 } })), [{ pointer: '/Operations/0/data/name/GivenName', message: 'name.givenName must be a string or null (got 1)' }])
  t.match(refuse(t, oneUser({ [ENTERPRISE.toUpperCase()]: { manager: { VALUE: 42 } } })), [{ pointer: `/Operations/0/data/${ENTERPRISE.toUpperCase()}/manager/VALUE`, message: `${ENTERPRISE}:manager.value must be a string or null (got 42)` }])
  t.match(refuse(t, oneUser({ 'urn:contoso:employee': 'x' })), [{ pointer: '/Operations/0/data/urn:contoso:employee', message: 'urn:contoso:employee must be an object (got "x")' }], 'custom extensions are objects')
  t.match(refuse(t, oneUser({ displayName: 'a'.repeat(5000) })), [{ pointer: '/Operations/0/data/displayName', message: 'displayName must be at most 1024 characters (got 5000)' }])
  t.match(refuse(t, oneUser({ locale: 'a'.repeat(300) })), [{ message: /locale must be at most 256 characters/ }])
})

t.test('pointers escape ~ and / (RFC 6901)', async t => {
  t.match(refuse(t, oneUser({ 'urn:x/y~z': 1 })), [{ pointer: '/Operations/0/data/urn:x~1y~0z' }])
})

t.test('one attribute sent under two spellings is refused', async t => {
  t.same(refuse(t, oneUser({ username: 'other' })), [{ index: 0, bulkId: 'b0', pointer: '/Operations/0/data/username', message: '"username" repeats the attribute "userName" (attribute names are case-insensitive)' }])
})

t.test('__proto__, constructor and prototype members are refused without polluting anything', async t => {
  const body = JSON.parse(`{
    "schemas": ["${BULK}"],
    "Operations": [{ "method": "POST", "bulkId": "p", "path": "/Users", "data": {
      "externalId": "e", "__proto__": { "polluted": true },
      "name": { "constructor": { "prototype": { "polluted": true } } },
      "urn:contoso:x": { "a": [{ "__proto__": { "polluted": true } }], "PROTOTYPE": 1 }
    } }],
    "__proto__": { "polluted": true }
  }`) as unknown
  const errors = refuse(t, body)
  t.same(errors.map(e => [e.index, e.pointer]), [
    [undefined, '/__proto__'],
    [0, '/Operations/0/data/__proto__'],
    [0, '/Operations/0/data/name/constructor'],
    [0, '/Operations/0/data/urn:contoso:x/a/0/__proto__'],
    [0, '/Operations/0/data/urn:contoso:x/PROTOTYPE']
  ])
  t.match(errors[1], { bulkId: 'p', message: '"__proto__" is not allowed as an attribute name' })
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  t.equal(Object.getPrototypeOf({}), Object.prototype)
})

t.test('bulkId references', async t => {
  const ref = (value: string): Record<string, unknown> => ({ [ENTERPRISE]: { manager: { value } } })
  const body = {
    schemas: [BULK],
    Operations: [
      { method: 'POST', bulkId: 'a', path: '/Users', data: { externalId: 'ea' } },
      { method: 'POST', bulkId: 'b', path: '/Users', data: { externalId: 'eb', ...ref('bulkId:nope') } }
    ]
  }
  t.same(refuse(t, body), [{ index: 1, bulkId: 'b', pointer: `/Operations/1/data/${ENTERPRISE}/manager/value`, message: 'manager.value references bulkId "nope" but no operation in this request has that bulkId' }])

  const ambiguous = {
    schemas: [BULK],
    Operations: [
      { method: 'POST', bulkId: 'dup', path: '/Users', data: { externalId: 'e0' } },
      { method: 'POST', bulkId: 'dup', path: '/Users', data: { externalId: 'e1' } },
      { method: 'POST', bulkId: 'c', path: '/Users', data: { externalId: 'e2', 'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER': { Manager: { Value: 'bulkId:dup' } } } }
    ]
  }
  t.same(refuse(t, ambiguous), [{ index: 2, bulkId: 'c', pointer: '/Operations/2/data/URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER/Manager/Value', message: 'manager.value references bulkId "dup", which operations 0, 1 share; a referenced bulkId must be unique' }])

  const unreferenced = structuredClone(ambiguous)
  unreferenced.Operations.pop()
  t.equal(validateBulkRequest(unreferenced).ok, true, 'the same duplicate without a reference is accepted')
})

t.test('excessive nesting is refused, however deep', async t => {
  let deep: unknown = 'leaf'
  for (let i = 0; i < 5000; i++) deep = { n: deep }
  const errors = refuse(t, oneUser({ 'urn:contoso:x': deep }))
  t.equal(errors.length, 1)
  t.match(errors[0], { index: 0, bulkId: 'b0', message: 'nesting deeper than 32 levels is not allowed' })
  // root(1) Operations(2) op(3) data(4) extension(5): the first refused object is the 28th `n`.
  t.equal(errors[0]?.pointer, '/Operations/0/data/urn:contoso:x' + '/n'.repeat(28))
  let ok: unknown = 'leaf'
  for (let i = 0; i < 27; i++) ok = { n: ok }
  accept(t, oneUser({ 'urn:contoso:x': ok }))
})

t.test('every bad operation is named', async t => {
  const body = bulkOf(4) as { Operations: Array<Record<string, unknown>> }
  const [op0, , op2, op3] = body.Operations as Array<{ method: string, data: Record<string, unknown> }>
  if (op0 !== undefined) op0.method = 'GET'
  if (op2 !== undefined) op2.data.active = 'no'
  if (op3 !== undefined) op3.data.externalId = 3
  t.same(refuse(t, body).map(e => [e.index, e.bulkId, e.pointer]), [
    [0, '700000', '/Operations/0/method'],
    [2, '700002', '/Operations/2/data/active'],
    [3, '700003', '/Operations/3/data/externalId']
  ])
})

t.test('a flood of errors is capped', async t => {
  const body = bulkOf(300) as { Operations: Array<{ data: Record<string, unknown> }> }
  for (const op of body.Operations) op.data.active = 'x'
  const errors = refuse(t, body)
  t.equal(errors.length, 101)
  t.same(errors.at(-1), { pointer: '', message: '200 more errors not shown' })
})

t.test('countOperations reads the Operations length without validating', async t => {
  t.equal(countOperations(bulkOf(51)), 51)
  t.equal(countOperations({ operations: [1, 2] }), 2)
  t.equal(countOperations({ OPERATIONS: [1], Operations: [1, 2, 3] }), 3, 'the largest of several spellings')
  t.equal(countOperations({ Operations: {} }), undefined)
  t.equal(countOperations({ schemas: [] }), undefined)
  t.equal(countOperations([1, 2]), undefined)
  t.equal(countOperations(null), undefined)
  t.equal(countOperations('Operations'), undefined)
})
