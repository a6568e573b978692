import type { FastifyInstance } from 'fastify'
import { getDirectory } from '../../directory/repository.js'
import { getUser, listUsers } from '../../directory/entra/users-repository.js'
import { toUserResource } from '../../directory/entra/user.js'
import { ROLES } from '../plugins/auth.js'
import { notFound } from '../graph-error.js'
import { errorResponses } from '../schemas.js'

const READ_ROLES = [ROLES.userRead, ROLES.directoryRead, ROLES.directoryReadWrite]
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

interface ListQuery { employeeId?: string, userPrincipalName?: string, $top: number, $skiptoken?: string }

export default async function userRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: { id: string }, Querystring: ListQuery }>('/directories/:id/users', {
    schema: {
      tags: ['directories'],
      summary: 'List the users of a directory',
      operationId: 'listDirectoryUsers',
      description: 'Reads back what was provisioned, optionally filtered by employeeId or userPrincipalName (case-insensitive). Pages with $top and the $skiptoken carried by @odata.nextLink. Soft-deleted users are included with deletedDateTime set.',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          employeeId: { type: 'string', maxLength: 1024 },
          userPrincipalName: { type: 'string', maxLength: 1024 },
          $top: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          $skiptoken: { type: 'string', pattern: UUID, description: 'Opaque; copy it from @odata.nextLink.' }
        }
      },
      response: {
        200: {
          'x-response-description': 'One page of users; `@odata.nextLink` is present when there are more.',
          type: 'object',
          required: ['value'],
          properties: { value: { type: 'array', items: { $ref: 'User#' } }, '@odata.nextLink': { type: 'string' } }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles(READ_ROLES)
  }, async request => {
    const { id } = request.params
    if (await getDirectory(app.db, id) === undefined) throw notFound(`Directory ${id}`)
    const { $top: top, $skiptoken: after, employeeId, userPrincipalName } = request.query
    const users = await listUsers(app.db, id, { employeeId, userPrincipalName, top: top + 1, after })
    const page = users.slice(0, top)
    const body: Record<string, unknown> = { value: page.map(toUserResource) }
    if (users.length > top) {
      const next = new URLSearchParams()
      if (employeeId !== undefined) next.set('employeeId', employeeId)
      if (userPrincipalName !== undefined) next.set('userPrincipalName', userPrincipalName)
      next.set('$top', String(top))
      next.set('$skiptoken', page[page.length - 1].id)
      body['@odata.nextLink'] = `${app.publicBaseUrl(request)}/directories/${id}/users?${next.toString()}`
    }
    return body
  })

  app.get<{ Params: { id: string, userId: string } }>('/directories/:id/users/:userId', {
    schema: {
      tags: ['directories'],
      summary: 'Read one user of a directory',
      operationId: 'getDirectoryUser',
      params: { type: 'object', required: ['id', 'userId'], properties: { id: { type: 'string', format: 'uuid' }, userId: { type: 'string', format: 'uuid' } } },
      response: { 200: { $ref: 'User#', description: 'The user.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles(READ_ROLES)
  }, async request => {
    const user = await getUser(app.db, request.params.id, request.params.userId)
    if (user === undefined) throw notFound(`User ${request.params.userId} in directory ${request.params.id}`)
    return toUserResource(user)
  })
}
