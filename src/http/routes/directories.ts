import type { FastifyInstance } from 'fastify'
import { createDirectory, getDirectory, type Directory } from '../../directory/repository.js'
import { ROLES } from '../plugins/auth.js'
import { notFound } from '../graph-error.js'
import { errorResponses } from '../schemas.js'

const DOMAIN = '^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$'

export function directoryResource (directory: Directory): Record<string, unknown> {
  return { id: directory.id, displayName: directory.displayName, kind: directory.kind, domains: directory.domains, createdDateTime: directory.createdAt.toISOString() }
}

export default async function directoryRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: { displayName: string, kind: 'entra', domains: string[] } }>('/directories', {
    schema: {
      tags: ['directories'],
      summary: 'Create a target directory',
      operationId: 'createDirectory',
      description: 'Creates an entra-shaped directory with its verified domains (the first is the default). Role Directory.ReadWrite.All.',
      body: {
        type: 'object',
        required: ['displayName', 'kind', 'domains'],
        additionalProperties: false,
        properties: {
          displayName: { type: 'string', minLength: 1, maxLength: 256 },
          kind: { type: 'string', enum: ['entra'], description: 'Only `entra` directories exist so far.' },
          domains: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: DOMAIN } }
        }
      },
      response: {
        201: {
          $ref: 'Directory#',
          description: 'Created.',
          headers: { Location: { type: 'string', description: "Path of the new directory's resource." } }
        },
        ...errorResponses(400, 401, 403)
      }
    },
    preHandler: app.requireRoles([ROLES.directoryReadWrite])
  }, async (request, reply) => {
    const directory = await createDirectory(app.db, request.body)
    return reply.code(201).header('location', `/directories/${directory.id}`).send(directoryResource(directory))
  })

  app.get<{ Params: { id: string } }>('/directories/:id', {
    schema: {
      tags: ['directories'],
      summary: 'Read a directory',
      operationId: 'getDirectory',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
      response: { 200: { $ref: 'Directory#', description: 'The directory.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles([ROLES.directoryReadWrite, ROLES.directoryRead])
  }, async request => {
    const directory = await getDirectory(app.db, request.params.id)
    if (directory === undefined) throw notFound(`Directory ${request.params.id}`)
    return directoryResource(directory)
  })
}
