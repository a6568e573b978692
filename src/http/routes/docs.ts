import Fastify, { type FastifyInstance } from 'fastify'

/** Where the interactive reference is served; /docs redirects to /docs/ so the page's relative links resolve. */
export const DOCS_PREFIX = '/docs'

/** Headers of the reference's answers that the outer reply sets itself. */
const HOP_BY_HOP = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding'])

/**
 * The interactive API reference (Scalar), reading the committed openapi.yaml — the same bytes
 * GET /openapi.yaml serves — rather than a document rendered at request time. Its script is
 * bundled in the package and served from here; everything that would call out to Scalar's
 * services (fonts, telemetry, the agent, MCP, developer tools) is switched off, so the page
 * works on a network without internet access. Its routes are hidden from the document:
 * they are a page and its script, not part of the API.
 *
 * The package holds its 5 MB script as a module, which costs an API process about 25 MB of
 * memory from the moment it is imported. Most processes never serve the page, so the
 * reference is loaded on the first visit, into an instance of its own that these routes
 * answer through.
 */
export default async function docsRoutes (app: FastifyInstance): Promise<void> {
  let reference: Promise<FastifyInstance> | undefined
  const loadReference = async (): Promise<FastifyInstance> => {
    reference ??= buildReference().catch(err => {
      reference = undefined
      throw err
    })
    return await reference
  }
  app.addHook('onClose', async () => { if (reference !== undefined) await (await reference).close() })

  for (const url of [DOCS_PREFIX, `${DOCS_PREFIX}/`, `${DOCS_PREFIX}/*`]) {
    app.get(url, { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
      const answer = await (await loadReference()).inject({ method: 'GET', url: request.url })
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(name) && value !== undefined) void reply.header(name, value)
      }
      return await reply.code(answer.statusCode).send(answer.rawPayload)
    })
  }
}

async function buildReference (): Promise<FastifyInstance> {
  const { default: apiReference } = await import('@scalar/fastify-api-reference')
  const reference = Fastify({ logger: false })
  await reference.register(apiReference, {
    routePrefix: DOCS_PREFIX,
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
  await reference.ready()
  return reference
}
