import t from 'tap'
import { OpenapiContract, type ResponseLike } from '../helpers/openapi-contract.js'

/**
 * The checks test/http/openapi-responses.test.ts relies on, each shown to catch what it is
 * for, on a small document: a response the document does not describe must be reported.
 */
const document = {
  openapi: '3.1.0',
  info: { title: 'contract', version: '1' },
  components: {
    schemas: { Thing: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } },
    headers: {
      'request-id': { required: true, schema: { type: 'string' } },
      'client-request-id': { required: false, schema: { type: 'string' } }
    }
  },
  paths: {
    '/things/{id}': {
      servers: [{ url: '/' }, { url: '/beta' }],
      get: {
        responses: {
          200: {
            description: 'the thing',
            headers: { 'request-id': { $ref: '#/components/headers/request-id' }, 'client-request-id': { $ref: '#/components/headers/client-request-id' } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } }
          },
          429: { description: 'throttled', headers: { 'Retry-After': { required: true, schema: { type: 'integer', minimum: 1 } } } }
        }
      },
      delete: { responses: { 204: { description: 'gone' } } }
    },
    '/things/mine': { get: { responses: { 200: { description: 'literal', content: { 'text/plain': { schema: { type: 'string' } } } } } } }
  }
}

const ID = '0b6c8e52-4f0e-4d3c-9a55-2f7d1c1d8a11'

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): ResponseLike =>
  ({ statusCode, headers: { 'content-type': 'application/json; charset=utf-8', 'request-id': 'r1', ...headers }, body: JSON.stringify(body) })

t.test('a response as documented has no problems, through any server', async t => {
  const contract = new OpenapiContract(structuredClone(document))
  t.same(contract.check('GET', `/things/${ID}`, json(200, { id: ID })).problems, [])
  const beta = contract.check('GET', `/beta/things/${ID}?x=1`, json(200, { id: ID }))
  t.same(beta.problems, [])
  t.equal(beta.match?.key, 'GET /things/{id}')
  t.same([...contract.exercised.get('GET /things/{id}')!], ['200', '200 application/json'])
})

t.test('a literal path is preferred to a template', async t => {
  const contract = new OpenapiContract(structuredClone(document))
  t.equal(contract.check('GET', '/things/mine', { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'x' }).match?.key, 'GET /things/mine')
})

t.test('what the document does not describe is reported', async t => {
  const contract = new OpenapiContract(structuredClone(document))
  const problems = (method: string, url: string, response: ResponseLike): string => contract.check(method, url, response).problems.join('; ')
  t.match(problems('GET', '/nothing', json(200, {})), /no operation of openapi.yaml/)
  t.match(problems('PUT', `/things/${ID}`, json(200, {})), /no operation/, 'a method the path does not have')
  t.match(problems('GET', `/things/${ID}`, json(404, {})), /status 404 is not documented/)
  t.match(problems('GET', `/things/${ID}`, json(200, { id: 'not-a-uuid' })), /does not fit the documented schema/)
  t.match(problems('GET', `/things/${ID}`, json(200, { name: 'no id' })), /does not fit the documented schema/)
  t.match(problems('GET', `/things/${ID}`, { ...json(200, { id: ID }), headers: { 'content-type': 'text/html', 'request-id': 'r1' } }), /content type text\/html is not documented/)
  t.match(problems('GET', `/things/${ID}`, { ...json(200, { id: ID }), headers: { 'content-type': 'application/json' } }), /header request-id is missing/)
  t.match(problems('GET', `/things/${ID}`, { statusCode: 429, headers: { 'retry-after': '0' }, body: '' }), /Retry-After '0' does not fit/)
  t.match(problems('GET', `/things/${ID}`, { statusCode: 429, headers: {}, body: '' }), /Retry-After is missing/)
  t.match(problems('DELETE', `/things/${ID}`, json(204, { id: ID })), /a body where the document gives none/)
  t.same(contract.check('DELETE', `/things/${ID}`, { statusCode: 204, headers: {}, body: '' }).problems, [], 'an optional header may be absent')
})
