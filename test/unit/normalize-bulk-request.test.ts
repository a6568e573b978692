// The normalizer on its own: canonical names, safe copies, and the way back to the pointers the client sent.
import t from 'tap'
import { MAX_DEPTH, normalizeBulkRequest } from '../../src/ingest/normalize-bulk-request.js'
import { formatPointer, parsePointer } from '../../src/ingest/json-pointer.js'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

const sent = {
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
}

t.test('canonical names and values, unknown members as sent', async t => {
  const body = normalizeBulkRequest(sent)
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
  t.not(body.value, sent)
})

t.test('toOriginal maps canonical locations back to the body as sent', async t => {
  const body = normalizeBulkRequest(sent)
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
  let deep: unknown = 1
  for (let i = 0; i < MAX_DEPTH; i++) deep = [deep]
  const body = normalizeBulkRequest({ a: deep, b: [0, deep] })
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
