import type { FastifyInstance } from 'fastify'
import { stringify } from 'yaml'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { addCommonResponses } from './openapi-common-responses.js'
import { attachExamples, readOpenapiExamples } from './openapi-examples.js'

/**
 * Builds the app without touching any backend (the pg pool and the PostgreSQL queue backend
 * are lazy and nothing runs a query) and renders its OpenAPI document. The configuration is
 * fixed rather than read from the environment so the output depends on the code only: the
 * same routes and schemas always give a byte-identical openapi.yaml.
 */
export async function generateOpenapiYaml (): Promise<string> {
  const config = loadConfig({}, {
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
    JWT_SECRET: 'x'.repeat(32),
    LOG_LEVEL: 'silent'
  })
  const app = await buildApp(config, { logger: false })
  try {
    await app.ready()
    return renderOpenapiYaml(app)
  } finally {
    await app.close()
  }
}

/**
 * Renders the document of a ready app, with what every route shares and the recorded
 * examples; the app is not usable for requests afterwards.
 */
export function renderOpenapiYaml (app: FastifyInstance): string {
  escapeSharedSchemas(app)
  const document = unescapeDocument(structuredClone(app.swagger())) as Record<string, any>
  addCommonResponses(document)
  attachExamples(document, readOpenapiExamples())
  // No anchors/aliases: several tools refuse them, and the file is read by people too.
  return stringify(document, { aliasDuplicateObjects: false })
}

/*
 * Two constructs of schemas/scim-user.json and schemas/enterprise-user.json do not survive
 * @fastify/swagger unharmed:
 *
 * - SCIM's attribute `$ref` (groups[].$ref, manager.$ref) is a property *named* `$ref`. The
 *   ref resolver @fastify/swagger uses takes every `$ref` key for a reference and crashes on
 *   its object value (`uri.match is not a function`); many OpenAPI tools (validators,
 *   dereferencers) make the same mistake. It is documented as the equivalent
 *   `patternProperties: { '^\$ref$': … }`.
 * - `patternProperties` is rewritten to `additionalProperties` (an OpenAPI 3.0 work-around,
 *   applied to 3.1 too), which would claim that every unknown member of a user must be an
 *   object, while only URN-named members (extensions) must be.
 *
 * Both are hidden from @fastify/swagger under an extension keyword and restored in its output.
 * The shared schemas are edited in place (the swagger plugin holds the same objects); this
 * runs on an app that has already compiled its validators and only renders the document.
 */
const ESCAPED_PATTERN_PROPERTIES = 'x-scim-inbound-patternProperties'
const DOLLAR_REF_PATTERN = '^\\$ref$'

const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas', 'dependencies'])
const SCHEMA_KEYWORDS = new Set(['items', 'additionalItems', 'prefixItems', 'additionalProperties', 'unevaluatedItems', 'unevaluatedProperties',
  'contains', 'propertyNames', 'not', 'if', 'then', 'else', 'allOf', 'anyOf', 'oneOf'])

type JsonObject = Record<string, unknown>

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null

function escapeSharedSchemas (app: FastifyInstance): void {
  for (const schema of Object.values(app.getSchemas())) escapeSchema(schema)
}

/** Walks subschemas only, so property names and data (`enum`, `default`) are never taken for keywords. */
function escapeSchema (schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) escapeSchema(item)
    return
  }
  if (!isObject(schema)) return
  for (const [key, value] of Object.entries(schema)) {
    if (SCHEMA_KEYWORDS.has(key)) escapeSchema(value)
    else if (SCHEMA_MAP_KEYWORDS.has(key) && isObject(value)) for (const subschema of Object.values(value)) escapeSchema(subschema)
  }

  const properties = isObject(schema.properties) ? schema.properties : undefined
  const hasDollarRef = properties !== undefined && Object.hasOwn(properties, '$ref')
  if (!hasDollarRef && schema.patternProperties === undefined) return
  const patterns: JsonObject = { ...(schema.patternProperties as JsonObject | undefined) }
  if (hasDollarRef) {
    patterns[DOLLAR_REF_PATTERN] = properties.$ref
    delete properties.$ref
  }
  // Keep the keyword where it was (or right after `properties`) so the output reads naturally.
  const entries: Array<[string, unknown]> = []
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'patternProperties') continue
    entries.push([key, value])
    if (key === 'properties') entries.push([ESCAPED_PATTERN_PROPERTIES, patterns])
  }
  if (!entries.some(([key]) => key === ESCAPED_PATTERN_PROPERTIES)) entries.push([ESCAPED_PATTERN_PROPERTIES, patterns])
  replaceEntries(schema, entries)
}

function unescapeDocument<T> (node: T): T {
  if (Array.isArray(node)) {
    for (const item of node) unescapeDocument(item)
  } else if (isObject(node)) {
    for (const value of Object.values(node)) unescapeDocument(value)
    if (Object.hasOwn(node, ESCAPED_PATTERN_PROPERTIES)) {
      replaceEntries(node, Object.entries(node).map(([key, value]) => [key === ESCAPED_PATTERN_PROPERTIES ? 'patternProperties' : key, value]))
    }
  }
  return node
}

function replaceEntries (object: JsonObject, entries: Array<[string, unknown]>): void {
  for (const key of Object.keys(object)) delete object[key]
  for (const [key, value] of entries) object[key] = value
}
