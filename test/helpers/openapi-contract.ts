import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import formats from 'ajv-formats'
import { parse } from 'yaml'
import { OPENAPI_FILE } from '../../src/paths.js'

type Json = Record<string, any>

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** Documented statuses no request can provoke on purpose, and why: the tests expect every other one seen, with a recorded example. */
export const UNPROVOKED_STATUSES: Record<string, string> = {
  500: 'the answer to a failure of the service itself, which no request causes on purpose'
}

/** An operation of the document: `GET /directories/{id}`, its object and the server it was reached through. */
export interface OperationMatch {
  key: string
  path: string
  method: string
  server: string
  operation: Json
}

/** What a response is checked by: the part of a light-my-request response the checks read. */
export interface ResponseLike {
  statusCode: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
}

export interface CheckResult {
  match?: OperationMatch
  /** The documented response it counts as: the status, or its range or `default`. */
  status?: string
  problems: string[]
}

interface Route { regex: RegExp, method: string, path: string, server: string, parameters: number }


/**
 * openapi.yaml as a contract for real responses: finds the operation a request reached (any
 * of its servers), and checks the response against it — the status is documented, the media
 * type is one the document lists, the body validates against its schema, and the headers
 * the document names are there when required and fit their schemas.
 * It remembers which operations and statuses were seen, so a test can tell what it never
 * exercised.
 */
export class OpenapiContract {
  readonly document: Json
  /** Per operation key, the documented statuses seen, and each as `status media/type` when it had a body. */
  readonly exercised = new Map<string, Set<string>>()
  private readonly ajv: Ajv2020
  private readonly routes: Route[]
  private readonly validators = new Map<string, ValidateFunction>()

  constructor (document: Json = parse(readFileSync(OPENAPI_FILE, 'utf8'))) {
    this.document = document
    this.ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true })
    // ajv-formats is CommonJS; under NodeNext its function is the module's `default`.
    formats.default(this.ajv)
    // The whole document, so `#/components/schemas/…` in any response schema resolves.
    this.ajv.addSchema(this.document, 'openapi')
    this.routes = this.operations().flatMap(({ path, method }) => this.serversOf(path).map(server => ({
      regex: new RegExp(`^${escapeRegExp(server.replace(/\/$/, '') + path).replace(/\\\{[^}]+\\\}/g, '[^/]+')}$`),
      method,
      path,
      server,
      parameters: (path.match(/\{/g) ?? []).length
    }))).sort((a, b) => a.parameters - b.parameters)
  }

  /** Every operation of the document. */
  operations (): Array<{ key: string, path: string, method: string, operation: Json }> {
    return Object.entries(this.document.paths as Json).flatMap(([path, item]) =>
      HTTP_METHODS.filter(method => item[method] !== undefined).map(method => ({ key: `${method.toUpperCase()} ${path}`, path, method, operation: item[method] as Json })))
  }

  serversOf (path: string): string[] {
    const servers: Array<{ url: string }> = this.document.paths[path].servers ?? this.document.servers ?? [{ url: '/' }]
    return servers.map(server => server.url)
  }

  /** The operation a request reaches; templated segments match only when no literal path does. */
  match (method: string, url: string): OperationMatch | undefined {
    const pathname = url.split('?')[0]!
    const route = this.routes.find(candidate => candidate.method === method.toLowerCase() && candidate.regex.test(pathname))
    if (route === undefined) return undefined
    return { key: `${route.method.toUpperCase()} ${route.path}`, path: route.path, method: route.method, server: route.server, operation: this.document.paths[route.path][route.method] }
  }

  /** The documented response for a status: exact, then `4XX`-style ranges, then `default`. */
  documentedResponse (operation: Json, status: number): [string, Json] | undefined {
    for (const key of [String(status), `${String(status)[0]}XX`, 'default']) {
      const response = operation.responses?.[key] as Json | undefined
      if (response !== undefined) return [key, response]
    }
    return undefined
  }

  /**
   * Checks one real response against the document: the operation it reached, the documented
   * status it counts as, and what does not fit (nothing when all is as documented).
   */
  check (method: string, url: string, response: ResponseLike): CheckResult {
    const match = this.match(method, url)
    if (match === undefined) return { problems: [`${method} ${url} is no operation of openapi.yaml`] }
    const documented = this.documentedResponse(match.operation, response.statusCode)
    if (documented === undefined) {
      return { match, problems: [`status ${response.statusCode} is not documented (documented: ${Object.keys(match.operation.responses).join(', ')})`] }
    }
    const [status, description] = documented
    let seen = this.exercised.get(match.key)
    if (seen === undefined) this.exercised.set(match.key, seen = new Set())
    seen.add(status)
    const mediaType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim()
    if (description.content?.[mediaType] !== undefined) seen.add(`${status} ${mediaType}`)
    return { match, status, problems: [...this.bodyProblems(match, status, description, response), ...this.headerProblems(description, response)] }
  }

  /** The schema of a documented body, compiled once; undefined when the document gives none. */
  validatorFor (match: Pick<OperationMatch, 'path' | 'method'>, status: string, mediaType: string): ValidateFunction | undefined {
    return this.compiled(['paths', match.path, match.method, 'responses', status, 'content', mediaType, 'schema'])
  }

  /** The schema of a documented request body, compiled once. */
  requestValidatorFor (match: Pick<OperationMatch, 'path' | 'method'>, mediaType: string): ValidateFunction | undefined {
    return this.compiled(['paths', match.path, match.method, 'requestBody', 'content', mediaType, 'schema'])
  }

  private compiled (path: string[]): ValidateFunction | undefined {
    const schema = path.reduce((at: Json | undefined, key) => at?.[key], this.document)
    if (schema === undefined) return undefined
    const pointer = path.map(segment => encodeURIComponent(escapePointer(segment))).join('/')
    let validate = this.validators.get(pointer)
    if (validate === undefined) this.validators.set(pointer, validate = this.ajv.compile({ $ref: `openapi#/${pointer}` }))
    return validate
  }

  private bodyProblems (match: OperationMatch, status: string, description: Json, response: ResponseLike): string[] {
    const content = description.content as Json | undefined
    if (content === undefined) return response.body === '' ? [] : [`a body where the document gives none: ${response.body.slice(0, 200)}`]
    const mediaType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim()
    if (!(mediaType in content)) return [`content type ${mediaType || '(none)'} is not documented (${Object.keys(content).join(', ')})`]
    const validate = this.validatorFor(match, status, mediaType)
    if (validate === undefined) return []
    const body = mediaType.endsWith('json') ? parseJson(response.body) : response.body
    if (validate(body)) return []
    return [`the ${mediaType} body does not fit the documented schema: ${this.ajv.errorsText(validate.errors)}; body ${response.body.slice(0, 500)}`]
  }

  private headerProblems (description: Json, response: ResponseLike): string[] {
    const problems: string[] = []
    for (const [header, declared] of Object.entries((description.headers ?? {}) as Json)) {
      const definition = this.resolve(declared as Json)
      const value = response.headers[header.toLowerCase()]
      if (value === undefined) {
        if (definition.required === true) problems.push(`the documented header ${header} is missing`)
        continue
      }
      const schema = definition.schema as Json | undefined
      const text = String(value)
      const typed = schema?.type === 'integer' || schema?.type === 'number' ? Number(text) : text
      if (schema !== undefined && !this.ajv.validate(schema, typed)) problems.push(`the header ${header} '${text}' does not fit its schema: ${this.ajv.errorsText()}`)
    }
    return problems
  }

  private resolve (node: Json): Json {
    if (typeof node.$ref !== 'string') return node
    return (node.$ref as string).slice(2).split('/').map(unescapePointer).reduce((at: Json, key) => at[key], this.document)
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1')
const unescapePointer = (segment: string): string => segment.replace(/~1/g, '/').replace(/~0/g, '~')
