import type { FastifyInstance } from 'fastify'
import apiReference from '@scalar/fastify-api-reference'

/** Where the interactive reference is served; /docs redirects to /docs/ so the page's relative links resolve. */
export const DOCS_PREFIX = '/docs'

/**
 * The interactive API reference (Scalar), reading the committed openapi.yaml — the same bytes
 * GET /openapi.yaml serves — rather than a document rendered at request time. Its script is
 * bundled in the package and served from here; everything that would call out to Scalar's
 * services (fonts, telemetry, the agent, MCP, developer tools) is switched off, so the page
 * works on a network without internet access. Its routes are hidden from the document:
 * they are a page and its script, not part of the API.
 */
export default async function docsRoutes (app: FastifyInstance): Promise<void> {
  await app.register(apiReference, {
    routePrefix: DOCS_PREFIX,
    logLevel: 'warn',
    configuration: {
      // Relative to /docs/, so the page also works behind a PUBLIC_URL with a path.
      url: '../openapi.yaml',
      pageTitle: 'scim-inbound API reference',
      withDefaultFonts: false,
      telemetry: false,
      showDeveloperTools: 'never',
      agent: { disabled: true },
      mcp: { disabled: true },
      documentDownloadType: 'direct'
    }
  })
}
