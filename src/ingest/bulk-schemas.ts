import { readFileSync } from 'node:fs'
import path from 'node:path'
import { SCHEMAS_DIR } from '../paths.js'

/** A JSON Schema document as read from disk; only the keywords this package reads are typed. */
export interface JsonSchema {
  $id?: string
  $ref?: string
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  definitions?: Record<string, JsonSchema>
  [keyword: string]: unknown
}

function load (file: string): JsonSchema {
  return JSON.parse(readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as JsonSchema
}

// Read once at module load: the same documents drive ajv, the normalizer's canonical names and openapi.yaml.
export const enterpriseUserSchema = load('enterprise-user.json')
export const scimUserSchema = load('scim-user.json')
export const bulkRequestSchema = load('bulk-request.json')

/** Every schema document by its `$id`, for resolving cross-document `$ref`s. */
export const schemasById: ReadonlyMap<string, JsonSchema> = new Map(
  [enterpriseUserSchema, scimUserSchema, bulkRequestSchema].map(s => [String(s.$id), s])
)
