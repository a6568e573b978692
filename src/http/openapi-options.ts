import type { SwaggerOptions } from '@fastify/swagger'
import { SCHEMA_BASE } from '../ingest/schema-ids.js'

/** Paths served also under /v1.0 and /beta (see GRAPH_PREFIXES in app.ts). */
const GRAPH_PATH = /^\/(servicePrincipals|auditLogs)(\/|$)/

/** Component names from `$id`s: `GraphError` stays, `…/schemas/bulk-request.json` becomes `BulkRequest`. */
function componentName (id: string): string {
  if (!id.startsWith(SCHEMA_BASE)) return id
  return id.slice(SCHEMA_BASE.length).replace(/\.json$/, '').split('-').map(part => part[0].toUpperCase() + part.slice(1)).join('')
}

/**
 * openapi.yaml is generated from the routes' own schemas (scripts/generate-openapi.ts) and
 * committed; a test fails when the committed file and the routes drift apart.
 */
export const openapiOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'scim-inbound',
      version: '0.1.0',
      description: 'Self-hosted API-driven inbound provisioning: HR systems POST SCIM 2.0 bulk requests (Core + Enterprise User) ' +
        'to a Graph-compatible bulkUpload endpoint; workers apply them to a target directory in acceptance order and log every operation. ' +
        'Graph-shaped paths (/servicePrincipals/…) are also served under /v1.0 and /beta. Errors use Graph\'s shape ' +
        '`{"error":{"code","message","details"}}`. Every response carries a `request-id` header. ' +
        'The service shows this document as an interactive reference at /docs.'
    },
    tags: [
      { name: 'bulk upload', description: 'The Graph-compatible bulkUpload endpoint and the status of each accepted request.' },
      { name: 'provisioning apps', description: 'Provisioning apps (service principals), each with one provisioning job.' },
      { name: 'provisioning jobs', description: 'Start, pause, restart and configure the job that applies bulk requests to a directory; its status, quarantine, statistics and notifications.' },
      { name: 'audit', description: 'Who did what to which provisioning app or job, and with what result.' },
      { name: 'directories', description: 'Target directories and the users provisioned into them.' },
      { name: 'operations', description: 'Health checks, metrics and this document; no token needed.' }
    ],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'HS256 with JWT_SECRET, or RS256/ES256 against JWKS_URL. Permissions in the `roles` claim; client id from azp, appid or sub.' }
      }
    },
    security: [{ bearer: [] }]
  },
  refResolver: {
    buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? componentName(json.$id) : `def-${i}`
  },
  transformObject: (documentObject) => {
    const document = (documentObject as { openapiObject: Record<string, any> }).openapiObject
    for (const [route, item] of Object.entries(document.paths ?? {})) {
      if (GRAPH_PATH.test(route)) (item as Record<string, unknown>).servers = [{ url: '/' }, { url: '/v1.0' }, { url: '/beta' }]
    }
    return document
  }
}
