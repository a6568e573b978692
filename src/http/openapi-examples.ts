import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PROJECT_ROOT } from '../paths.js'

/**
 * Real requests and responses, recorded by test/http/openapi-responses.test.ts when it runs with
 * OPENAPI_EXAMPLES=capture (`npm run openapi:examples`), and put into openapi.yaml by the
 * generator. Kept in a file of their own so the document's examples are what the service
 * answered, never written by hand, and so regenerating openapi.yaml needs no database.
 */
export const OPENAPI_EXAMPLES_FILE = path.join(PROJECT_ROOT, 'openapi-examples.json')

export interface ResponseExample {
  /** Values of the response headers the document names (Location, Retry-After, …). */
  headers?: Record<string, string>
  /** The body per media type: parsed JSON, or text. */
  content?: Record<string, unknown>
}

export interface OperationExamples {
  /** The body of a request that succeeded, per media type. */
  request?: Record<string, unknown>
  /** Per status code. */
  responses: Record<string, ResponseExample>
}

/** By operationId. */
export type OpenapiExamples = Record<string, OperationExamples>

type Json = Record<string, any>

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

export function readOpenapiExamples (file = OPENAPI_EXAMPLES_FILE): OpenapiExamples {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as OpenapiExamples
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
}

/**
 * Sets `example` on the media types and headers the examples name. What the document does not
 * describe (a status or media type since removed) is left out here and reported by
 * test/unit/openapi.test.ts, so a stale example cannot describe something that is not there.
 */
export function attachExamples (document: Json, examples: OpenapiExamples): void {
  for (const item of Object.values(document.paths as Json)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Json | undefined
      const recorded = operation === undefined ? undefined : examples[operation.operationId as string]
      if (operation === undefined || recorded === undefined) continue
      for (const [mediaType, value] of Object.entries(recorded.request ?? {})) {
        withExample(operation.requestBody?.content, mediaType, value)
      }
      for (const [status, example] of Object.entries(recorded.responses)) {
        const response = operation.responses?.[status] as Json | undefined
        if (response === undefined) continue
        for (const [mediaType, value] of Object.entries(example.content ?? {})) withExample(response.content, mediaType, value)
        for (const [name, value] of Object.entries(example.headers ?? {})) {
          const header = response.headers?.[name] as Json | undefined
          // Shared headers ($ref) describe every response; an example of one would mislead.
          if (header === undefined || header.$ref !== undefined) continue
          const numeric = header.schema?.type === 'integer' || header.schema?.type === 'number'
          response.headers[name] = { ...header, example: numeric ? Number(value) : value }
        }
      }
    }
  }
}

/**
 * Replaces the media type object with one carrying the example: the document may share one
 * object between media types or responses (both upload media types name the same schema), and
 * an example belongs to one of them only.
 */
function withExample (content: Json | undefined, mediaType: string, value: unknown): void {
  if (content?.[mediaType] !== undefined) content[mediaType] = { ...content[mediaType], example: value }
}
