type Json = Record<string, any>

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** A fresh object each time: examples are attached per response. */
const graphError = (): Json => ({ 'application/json': { schema: { $ref: '#/components/schemas/GraphError' } } })

/**
 * What app.ts does for every route, whatever the route declares, written into the document
 * once here rather than repeated in every route's schema:
 *
 * - the `request-id` header on every response (and `client-request-id` echoed when sent);
 * - 400 for a URL holding a NUL character (`%00`), refused before any route runs;
 * - 413 and 415 for a request body over Fastify's bodyLimit (1 MiB) or of a media type
 *   no parser reads, where a route takes a body and does not say otherwise;
 * - 500, the error handler's answer to anything unexpected.
 *
 * A header a route declares is always sent (`required: true`) unless its schema says
 * `required: false` (Content-Disposition only with CSV, say); the flag moves out of the
 * schema, where it is no JSON Schema keyword, to the header.
 */
export function addCommonResponses (document: Json): void {
  document.components.headers = {
    ...document.components.headers,
    'request-id': {
      description: 'Id of this request, as the service logs it; quote it when reporting a problem.',
      required: true,
      schema: { type: 'string', format: 'uuid' }
    },
    'client-request-id': {
      description: 'The client-request-id the request carried (at most 200 characters), echoed back; absent when none was sent.',
      required: false,
      schema: { type: 'string', maxLength: 200 }
    }
  }
  for (const item of Object.values(document.paths as Json)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Json | undefined
      if (operation === undefined) continue
      operation.responses['400'] ??= {
        description: 'The URL contains a NUL character (%00), which no identifier or parameter can hold.',
        content: graphError()
      }
      if (operation.requestBody !== undefined) {
        operation.responses['413'] ??= { description: 'The body is larger than 1 MiB.', content: graphError() }
        operation.responses['415'] ??= { description: `The body's Content-Type is not one this operation reads (${Object.keys(operation.requestBody.content as Json).join(', ')}).`, content: graphError() }
      }
      operation.responses['500'] ??= {
        description: 'The service failed unexpectedly; the error is logged under the request-id, and the body says no more.',
        content: graphError()
      }
      operation.responses = sortedByStatus(operation.responses as Json)
      for (const response of Object.values(operation.responses as Json)) {
        for (const header of Object.values((response.headers ?? {}) as Json)) markRequired(header as Json)
        // A route's own description of request-id (the upload's: the id of the accepted request) stays.
        response.headers = {
          ...response.headers,
          'request-id': response.headers?.['request-id'] ?? { $ref: '#/components/headers/request-id' },
          'client-request-id': { $ref: '#/components/headers/client-request-id' }
        }
      }
    }
  }
}

function markRequired (header: Json): void {
  const { required, ...schema } = header.schema as Json
  header.schema = schema
  header.required = required !== false
}

function sortedByStatus (responses: Json): Json {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)))
}
