import t from 'tap'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { Validator } from '@seriousme/openapi-schema-validator'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { generateOpenapiYaml } from '../../src/http/generate-openapi.js'
import { readOpenapiExamples } from '../../src/http/openapi-examples.js'
import { DOCS_PREFIX } from '../../src/http/routes/docs.js'
import { OPENAPI_FILE } from '../../src/paths.js'
import { OpenapiContract, UNPROVOKED_STATUSES } from '../helpers/openapi-contract.js'

type Json = Record<string, any>

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

const generated = await generateOpenapiYaml()
const committed = readFileSync(OPENAPI_FILE, 'utf8')
const document: Json = parse(generated)

/** Every operation of the document as [path, method, operation]. */
function operations (doc: Json): Array<[string, string, Json]> {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    HTTP_METHODS.filter(method => method in item).map((method): [string, string, Json] => [path, method, item[method]]))
}

/**
 * The routes Fastify registered, as `METHOD /path` in Fastify's syntax, read from the
 * router's own listing (`printRoutes`): one line per node, indented 4 characters per level,
 * a node's path continuing its parent's, its methods in parentheses.
 */
function registeredRoutes (app: FastifyInstance): Set<string> {
  const routes = new Set<string>()
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([^)]*)\))?$/.exec(line)
    if (match === null) continue
    const depth = match[1].length / 4
    stack.length = depth
    const path = (stack[depth - 1] ?? '') + match[2]
    stack.push(path)
    for (const method of match[3]?.split(', ') ?? []) routes.add(`${method} ${path}`)
  }
  return routes
}

t.test('the committed openapi.yaml is the generated one', async t => {
  t.equal(committed, generated, 'openapi.yaml is out of date with the route schemas: run npm run openapi')
  t.equal(await generateOpenapiYaml(), generated, 'generation is deterministic')
})

t.test('the document is valid OpenAPI 3.1', async t => {
  const validator = new Validator()
  const result = await validator.validate(generated)
  t.ok(result.valid, 'valid', { errors: result.errors })
  t.equal(validator.version, '3.1')
})

t.test('every registered route is documented, and every documented operation is a route', async t => {
  const config = loadConfig({}, { DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused', JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' })
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  await app.ready()

  const registered = registeredRoutes(app)
  // The listing is parsed, so check the parse against the router itself.
  t.ok(registered.size >= 20, `found ${registered.size} routes`)
  for (const route of registered) {
    const [method, url] = route.split(' ')
    // A colon inside a segment (extensions:fromSample) is literal, written doubled to the router.
    t.ok(app.hasRoute({ method: method as 'GET', url: url!.replace(/([^/]):/g, '$1::') }), `${route} is a route`)
  }
  // HEAD routes are the ones Fastify adds for each GET; /docs is a page about the document, not in it.
  const routes = [...registered].filter(route => !route.startsWith('HEAD ') && !route.startsWith(`GET ${DOCS_PREFIX}`)).sort()
  t.ok(registered.has(`GET ${DOCS_PREFIX}/`), 'the API reference page is served')

  const documented = new Set<string>()
  for (const [path, method] of operations(document)) {
    const servers: Array<{ url: string }> = document.paths[path].servers ?? document.servers ?? [{ url: '/' }]
    for (const { url } of servers) {
      const fastifyPath = url.replace(/\/$/, '') + path.replace(/\{([^}]+)\}/g, ':$1')
      documented.add(`${method.toUpperCase()} ${fastifyPath}`)
    }
  }
  t.same(routes, [...documented].sort(), 'registered routes = documented operations (with their path-level servers)')
  t.ok(registered.has('POST /v1.0/servicePrincipals/:spId/synchronization/jobs/:jobId/bulkUpload'))
  t.ok(registered.has('GET /beta/servicePrincipals/:spId/synchronization/jobs/:jobId/bulkUploads/:requestId'))
})

t.test('the document describes the API fully', async t => {
  const schemas: Json = document.components.schemas
  for (const name of ['BulkRequest', 'ScimUser', 'EnterpriseUser', 'GraphError']) t.ok(schemas[name], `component ${name}`)
  t.same(document.components.securitySchemes.bearer, { ...document.components.securitySchemes.bearer, type: 'http', scheme: 'bearer' })
  t.same(document.security, [{ bearer: [] }])

  const declaredTags = new Set((document.tags as Json[]).map(tag => tag.name))
  const operationIds = new Set<string>()
  for (const [path, method, operation] of operations(document)) {
    const name = `${method.toUpperCase()} ${path}`
    t.ok(typeof operation.summary === 'string' && operation.summary.length > 0, `${name} has a summary`)
    t.ok(operation.tags?.length > 0 && operation.tags.every((tag: string) => declaredTags.has(tag)), `${name} has declared tags`)
    t.notOk(operationIds.has(operation.operationId), `${name} has a unique operationId`)
    operationIds.add(operation.operationId)
    if (path.startsWith('/health/') || path === '/openapi.yaml' || path === '/metrics') t.same(operation.security, [], `${name} needs no token`)
    else t.equal(operation.security, undefined, `${name} needs the bearer token`)
    t.ok(operation.responses['500'] !== undefined, `${name} documents 500`)
    for (const [status, response] of Object.entries(operation.responses as Json)) {
      t.not(response.description, 'Default Response', `${name} ${status} is described`)
      t.ok(response.headers?.['request-id'] !== undefined, `${name} ${status} carries request-id`)
      if (status === '204' || status === '202') t.equal(response.content, undefined, `${name} ${status} has no body`)
      if (Number(status) >= 400 && !path.startsWith('/health/')) {
        t.same(Object.keys(response.content ?? {}), ['application/json'], `${name} ${status} is JSON`)
        t.same(response.content?.['application/json']?.schema, { $ref: '#/components/schemas/GraphError' }, `${name} ${status} is a GraphError`)
      }
    }
  }

  const upload = document.paths['/servicePrincipals/{spId}/synchronization/jobs/{jobId}/bulkUpload'].post
  t.same(Object.keys(upload.requestBody.content), ['application/scim+json', 'application/json'])
  for (const media of Object.values(upload.requestBody.content as Json)) t.same(media.schema, { $ref: '#/components/schemas/BulkRequest' })
  t.same(Object.keys(upload.responses['202'].headers), ['Location', 'request-id', 'client-request-id'])
  t.same(upload.responses['202'].headers.Location.required, true, 'Location is always sent')
  t.same(document.paths['/servicePrincipals/{spId}/synchronization/jobs/{jobId}/bulkUpload'].servers, [{ url: '/' }, { url: '/v1.0' }, { url: '/beta' }])
})

t.test('every documented response has a real example that fits its schema', async t => {
  const contract = new OpenapiContract(document)
  for (const [path, method, operation] of operations(document)) {
    for (const [status, response] of Object.entries(operation.responses as Json)) {
      for (const [mediaType, media] of Object.entries((response.content ?? {}) as Json)) {
        const name = `${method.toUpperCase()} ${path} ${status} ${mediaType}`
        if (!('example' in media)) {
          t.ok(UNPROVOKED_STATUSES[status] !== undefined, `${name} has an example (npm run openapi:examples records them)`)
          continue
        }
        const validate = contract.validatorFor({ path, method }, status, mediaType)!
        t.ok(validate(media.example), `${name}: its example fits the schema`, { errors: validate.errors })
      }
    }
    for (const [mediaType, media] of Object.entries((operation.requestBody?.content ?? {}) as Json)) {
      if ('example' in media) t.ok(contract.requestValidatorFor({ path, method }, mediaType)!(media.example), `${method.toUpperCase()} ${path} request ${mediaType}: its example fits the schema`)
    }
  }
})

t.test('every recorded example belongs to something the document describes', async t => {
  const byOperationId = new Map(operations(document).map(([, , operation]) => [operation.operationId as string, operation]))
  for (const [operationId, recorded] of Object.entries(readOpenapiExamples())) {
    const operation = byOperationId.get(operationId)
    if (operation === undefined) {
      t.fail(`openapi-examples.json has ${operationId}, which is no operation: run npm run openapi:examples`)
      continue
    }
    for (const mediaType of Object.keys(recorded.request ?? {})) t.ok(operation.requestBody?.content?.[mediaType], `${operationId} takes ${mediaType}`)
    for (const [status, example] of Object.entries(recorded.responses)) {
      t.ok(operation.responses[status], `${operationId} documents ${status}`)
      for (const mediaType of Object.keys(example.content ?? {})) t.ok(operation.responses[status]?.content?.[mediaType], `${operationId} ${status} documents ${mediaType}`)
    }
  }
})
