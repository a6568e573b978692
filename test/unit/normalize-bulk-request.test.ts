// The normalizer on its own: canonical names, canonical input kept in place, plain copies of the rest, and the
// way back to the pointers the client sent.
import t from 'tap'
import { MAX_DEPTH, normalizeBulkRequest } from '../../src/ingest/normalize-bulk-request.js'
import { formatPointer, parsePointer } from '../../src/ingest/json-pointer.js'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

// A fresh body each time: the normalizer updates what it is given.
const sent = (): Record<string, unknown> => ({
  SCHEMAS: ['urn:ietf:params:scim:api:messages:2.0:bulkrequest', 'urn:other:Thing'],
  operations: [{
    METHOD: 'delete',
    path: '/Users',
    data: {
      UserName: 'u',
      Emails: [{ Value: 'a@b.c' }, { value: 'd@e.f', Primary: true }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user': { MANAGER: { value: 'm', '$REF': '../Users/1' } },
      'urn:contoso:x': { Method: 'kept', Emails: 'kept' }
    }
  }],
  FailOnErrors: null
})

t.test('canonical names and values, unknown members as sent', async t => {
  const input = sent()
  const body = normalizeBulkRequest(input)
  t.same(body.issues, [])
  t.strictSame(body.value, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest', 'urn:other:Thing'],
    Operations: [{
      method: 'DELETE',
      path: '/Users',
      data: {
        userName: 'u',
        emails: [{ value: 'a@b.c' }, { value: 'd@e.f', primary: true }],
        [ENTERPRISE]: { manager: { value: 'm', $ref: '../Users/1' } },
        'urn:contoso:x': { Method: 'kept', Emails: 'kept' }
      }
    }],
    failOnErrors: null
  })
  t.equal(Object.getPrototypeOf(body.value), Object.prototype, 'plain objects for downstream code')
  t.not(body.value, input, 'renamed members: a copy')
})

t.test('objects whose members all keep their names are updated in place; the others become plain copies', async t => {
  const canonical = { method: 'post', path: '/users', data: { userName: 'u', emails: [{ value: 'a@b.c' }] } }
  const emails = canonical.data.emails
  const body = normalizeBulkRequest({ schemas: [], Operations: [canonical] }).value as { Operations: unknown[] }
  t.equal(body.Operations[0], canonical, 'no copy when nothing is renamed')
  t.strictSame(canonical, { method: 'POST', path: '/Users', data: { userName: 'u', emails: [{ value: 'a@b.c' }] } }, 'values canonicalized in place')
  t.equal(canonical.data.emails, emails)

  // A member renamed after others that stayed: the copy holds them all, in the order sent.
  const late = { externalId: 'x', title: 't', USERNAME: 'u', displayName: 'd' }
  const copied = (normalizeBulkRequest({ Operations: [{ data: late }] }).value as { Operations: Array<{ data: object }> }).Operations[0]?.data
  t.not(copied, late)
  t.strictSame(copied, { externalId: 'x', title: 't', userName: 'u', displayName: 'd' })
  t.strictSame(Object.keys(copied ?? {}), ['externalId', 'title', 'userName', 'displayName'])

  // The second spelling of one attribute is reported whichever comes first.
  for (const data of [{ userName: 'a', username: 'b' }, { username: 'b', userName: 'a' }]) {
    const { issues, value } = normalizeBulkRequest({ Operations: [{ data }] })
    t.same(issues.map(i => formatPointer(i.segments)), [`/Operations/0/data/${Object.keys(data)[1] ?? ''}`])
    t.strictSame((value as { Operations: Array<{ data: object }> }).Operations[0]?.data, { userName: Object.values(data)[0] })
  }

  // Anything but a plain object is copied into one, so downstream code only ever sees plain objects.
  const foreign = Object.assign(Object.create(null) as Record<string, unknown>, { userName: 'u' })
  const data = (normalizeBulkRequest({ Operations: [{ data: foreign }] }).value as { Operations: Array<{ data: object }> }).Operations[0]?.data
  t.not(data, foreign)
  t.equal(Object.getPrototypeOf(data), Object.prototype)
  t.strictSame(data, { userName: 'u' })
})

t.test('toOriginal maps canonical locations back to the body as sent', async t => {
  const body = normalizeBulkRequest(sent())
  const back = (pointer: string): string => formatPointer(body.toOriginal(parsePointer(pointer)))
  t.equal(back('/Operations/0/data/emails/1/primary'), '/operations/0/data/Emails/1/Primary')
  t.equal(back(`/Operations/0/data/${ENTERPRISE}/manager/$ref`), '/operations/0/data/urn:ietf:params:scim:schemas:extension:enterprise:2.0:user/MANAGER/$REF')
  t.equal(back('/Operations/0/method'), '/operations/0/METHOD')
  t.equal(back('/Operations/0/data/externalId'), '/operations/0/data/externalId', 'absent members keep the canonical name')
  t.equal(back('/schemas/1'), '/SCHEMAS/1')
  t.equal(back(''), '')
  t.same(body.toOriginal(['Operations', '0']), ['operations', 0], 'indices come back as numbers')
})

t.test('forbidden members are dropped and reported, in any case', async t => {
  const parsed = JSON.parse('{"Operations":[{"data":{"__proto__":{"x":1},"Constructor":1,"name":{"__PROTO__":{"x":1},"givenName":"g"}}}]}') as unknown
  const body = normalizeBulkRequest(parsed)
  t.same(body.issues.map(i => formatPointer(i.segments)), ['/Operations/0/data/__proto__', '/Operations/0/data/Constructor', '/Operations/0/data/name/__PROTO__'])
  const data = (body.value as { Operations: Array<{ data: Record<string, unknown> }> }).Operations[0]?.data ?? {}
  t.strictSame(Object.keys(data), ['name'])
  t.equal(Object.getPrototypeOf(data), Object.prototype, 'prototype not replaced')
  t.strictSame(data.name, { givenName: 'g' })
})

t.test('nesting beyond MAX_DEPTH is cut, keeping array indices', async t => {
  const deep = (): unknown => {
    let nested: unknown = 1
    for (let i = 0; i < MAX_DEPTH; i++) nested = [nested]
    return nested
  }
  const body = normalizeBulkRequest({ a: deep(), b: [0, deep()] })
  // The root object is depth 1, so the array reached by MAX_DEPTH steps sits at MAX_DEPTH + 1.
  t.same(body.issues.map(i => i.segments.length), [MAX_DEPTH, MAX_DEPTH])
  let inner: unknown = (body.value as { a: unknown }).a
  for (let i = 0; i < MAX_DEPTH - 2; i++) inner = (inner as unknown[])[0]
  t.strictSame(inner, [null], 'the too-deep array became null in place')
  t.equal((body.value as { b: unknown[] }).b.length, 2)
})

t.test('never throws, whatever it is given', async t => {
  for (const v of [undefined, null, 5, 'x', true, [], JSON.parse('[[{"__proto__":1}]]') as unknown]) {
    t.doesNotThrow(() => normalizeBulkRequest(v))
  }
  t.equal(normalizeBulkRequest('x').value, 'x')
})

t.test('issues are capped', async t => {
  const many = Array.from({ length: 150 }, () => JSON.parse('{"__proto__":1}') as unknown)
  const body = normalizeBulkRequest({ Operations: many })
  t.equal(body.issues.length, 100)
  t.equal(body.suppressedIssues, 50)
})
