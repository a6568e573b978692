import { writeFileSync } from 'node:fs'
import type { LightMyRequestResponse } from 'fastify'
import { OPENAPI_EXAMPLES_FILE, type OpenapiExamples } from '../../src/http/openapi-examples.js'
import type { OperationMatch } from './openapi-contract.js'

/** Text bodies (metrics, LDIF, CSV, this document) are cut to their first lines. */
const MAX_TEXT_LINES = 40
/** Lists are cut to their first items: an example shows the shape, not a whole page. */
const MAX_LIST_ITEMS = 3

/**
 * Keeps the first real request body and response per operation, status and media type, and
 * writes them to openapi-examples.json for the generator. Only shortened, never edited:
 * long lists and texts are cut, so every example is still what the service answered.
 */
export class OpenapiExampleRecorder {
  private readonly examples: OpenapiExamples = {}

  record (match: OperationMatch, status: string, request: { payload?: unknown, contentType?: string }, response: LightMyRequestResponse): void {
    const operationId = match.operation.operationId as string
    const recorded = this.examples[operationId] ??= { responses: {} }
    const documented = match.operation.responses[status] ?? {}

    const requestMediaType = mediaTypeOf(request.contentType)
    if (response.statusCode < 300 && request.payload !== undefined && requestMediaType !== undefined &&
        match.operation.requestBody?.content?.[requestMediaType] !== undefined) {
      recorded.request ??= {}
      recorded.request[requestMediaType] ??= shorten(typeof request.payload === 'string' ? parseBody(request.payload, requestMediaType) : request.payload)
    }

    const example = recorded.responses[status] ??= {}
    const mediaType = mediaTypeOf(response.headers['content-type'] as string | undefined)
    if (mediaType !== undefined && documented.content?.[mediaType] !== undefined && response.body !== '') {
      example.content ??= {}
      example.content[mediaType] ??= shorten(parseBody(response.body, mediaType))
    }
    for (const name of Object.keys(documented.headers ?? {})) {
      const value = response.headers[name.toLowerCase()]
      if (value === undefined || documented.headers[name].$ref !== undefined) continue
      example.headers ??= {}
      example.headers[name] ??= String(value)
    }
  }

  write (file = OPENAPI_EXAMPLES_FILE): void {
    writeFileSync(file, JSON.stringify(sortedKeys(this.examples), null, 2) + '\n')
  }
}

function mediaTypeOf (header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase()
  return type === '' ? undefined : type
}

function parseBody (text: string, mediaType: string): unknown {
  if (!mediaType.endsWith('json')) return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function shorten (value: unknown): unknown {
  if (typeof value === 'string') {
    const lines = value.split('\n')
    return lines.length > MAX_TEXT_LINES ? lines.slice(0, MAX_TEXT_LINES).join('\n') + '\n' : value
  }
  if (Array.isArray(value)) return value.slice(0, MAX_LIST_ITEMS).map(shorten)
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shorten(item)]))
  return value
}

/** Operations and statuses in a stable order, so a new capture diffs by content only. */
function sortedKeys (examples: OpenapiExamples): OpenapiExamples {
  return Object.fromEntries(Object.entries(examples).sort(([a], [b]) => a.localeCompare(b)).map(([operationId, recorded]) => [operationId, {
    ...(recorded.request !== undefined ? { request: recorded.request } : {}),
    responses: Object.fromEntries(Object.entries(recorded.responses).sort(([a], [b]) => a.localeCompare(b)))
  }]))
}
