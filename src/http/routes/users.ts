import type { FastifyInstance } from 'fastify'
import { getDirectory } from '../../directory/repository.js'
import { getUser, listUsers } from '../../directory/entra/users-repository.js'
import { toUserResource } from '../../directory/entra/user.js'
import { DistinguishedNameError, parseDistinguishedName, formatDistinguishedName } from '../../directory/ad/distinguished-name.js'
import { directoryDomainDn, locateContainer } from '../../directory/ad/organizational-units.js'
import { getAdUser, listAdUsers, type AdUserQuery } from '../../directory/ad/users-repository.js'
import { toAdUserResource } from '../../directory/ad/user-resource.js'
import type { Directory } from '../../directory/repository.js'
import type { Db } from '../../db/pool.js'
import { GraphError } from '../graph-error.js'
import { ROLES } from '../plugins/auth.js'
import { notFound } from '../graph-error.js'
import { errorResponses } from '../schemas.js'

const READ_ROLES = [ROLES.userRead, ROLES.directoryRead, ROLES.directoryReadWrite]
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

interface ListQuery { employeeId?: string, employeeID?: string, userPrincipalName?: string, sAMAccountName?: string, distinguishedName?: string, $top: number, $skiptoken?: string }

/** Filters that only an ad directory's users have. */
const AD_ONLY_FILTERS = ['sAMAccountName', 'distinguishedName'] as const

export default async function userRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: { id: string }, Querystring: ListQuery }>('/directories/:id/users', {
    schema: {
      tags: ['directories'],
      summary: 'List the users of a directory',
      operationId: 'listDirectoryUsers',
      description: 'Reads back what was provisioned, optionally filtered by employeeId (or employeeID) or userPrincipalName (case-insensitive); users of an ad directory also by sAMAccountName or distinguishedName, and they come with AD attribute names (AdUser). Pages with $top and the $skiptoken carried by @odata.nextLink. Soft-deleted entra users are included with deletedDateTime set.',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          employeeId: { type: 'string', maxLength: 1024 },
          employeeID: { type: 'string', maxLength: 1024, description: 'The same filter, spelled as AD spells the attribute.' },
          userPrincipalName: { type: 'string', maxLength: 1024 },
          sAMAccountName: { type: 'string', maxLength: 256, description: 'ad directories only.' },
          distinguishedName: { type: 'string', maxLength: 4096, description: 'ad directories only; compared as AD compares DNs (case and escaping aside).' },
          $top: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          $skiptoken: { type: 'string', pattern: UUID, description: 'Opaque; copy it from @odata.nextLink.' }
        }
      },
      response: {
        200: {
          'x-response-description': 'One page of users; `@odata.nextLink` is present when there are more.',
          type: 'object',
          required: ['value'],
          properties: { value: { type: 'array', items: { anyOf: [{ $ref: 'AdUser#' }, { $ref: 'User#' }] } }, '@odata.nextLink': { type: 'string' } }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles(READ_ROLES)
  }, async request => {
    const { id } = request.params
    const directory = await getDirectory(app.db, id)
    if (directory === undefined) throw notFound(`Directory ${id}`)
    const { $top: top, $skiptoken: after, userPrincipalName } = request.query
    const employeeId = request.query.employeeId ?? request.query.employeeID
    let page: Array<{ id: string }>
    let more: boolean
    let resources: unknown[]
    if (directory.kind === 'ad') {
      const query = await adQuery(app.db, directory, request.query)
      const users = query === undefined ? [] : await listAdUsers(app.db, id, directoryDomainDn(directory)!, { ...query, top: top + 1, after })
      page = users.slice(0, top)
      more = users.length > top
      resources = users.slice(0, top).map(toAdUserResource)
    } else {
      const adOnly = AD_ONLY_FILTERS.find(filter => request.query[filter] !== undefined)
      if (adOnly !== undefined) throw new GraphError(400, 'BadRequest', `${adOnly} filters the users of an ad directory; directory ${id} is an entra directory.`, [{ code: 'BadRequest', message: `not an attribute of entra users`, target: adOnly }])
      const users = await listUsers(app.db, id, { employeeId, userPrincipalName, top: top + 1, after })
      page = users.slice(0, top)
      more = users.length > top
      resources = users.slice(0, top).map(toUserResource)
    }
    const body: Record<string, unknown> = { value: resources }
    if (more) {
      const next = new URLSearchParams()
      for (const filter of ['employeeId', 'employeeID', 'userPrincipalName', 'sAMAccountName', 'distinguishedName'] as const) {
        const value = request.query[filter]
        if (value !== undefined) next.set(filter, value)
      }
      next.set('$top', String(top))
      next.set('$skiptoken', page[page.length - 1]!.id)
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
      response: { 200: { anyOf: [{ $ref: 'AdUser#' }, { $ref: 'User#' }], 'x-response-description': 'The user: an entra user, or with AD attribute names for an ad directory (userId is then its objectGUID).' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles(READ_ROLES)
  }, async request => {
    const directory = await getDirectory(app.db, request.params.id)
    if (directory?.kind === 'ad') {
      const user = await getAdUser(app.db, directory.id, directoryDomainDn(directory)!, request.params.userId)
      if (user === undefined) throw notFound(`User ${request.params.userId} in directory ${request.params.id}`)
      return toAdUserResource(user)
    }
    const user = await getUser(app.db, request.params.id, request.params.userId)
    if (user === undefined) throw notFound(`User ${request.params.userId} in directory ${request.params.id}`)
    return toUserResource(user)
  })
}

/**
 * The filters of an AD user listing; undefined when they cannot match anyone (a DN whose
 * container does not exist). A DN that does not parse, or names no user, is a 400 saying where.
 */
async function adQuery (db: Db, directory: Directory, query: ListQuery): Promise<Omit<AdUserQuery, 'top' | 'after'> | undefined> {
  const filters: Omit<AdUserQuery, 'top' | 'after'> = { employeeId: query.employeeId ?? query.employeeID, userPrincipalName: query.userPrincipalName, sAMAccountName: query.sAMAccountName }
  if (query.distinguishedName === undefined) return filters
  let rdns
  try {
    rdns = parseDistinguishedName(query.distinguishedName)
  } catch (err) {
    if (!(err instanceof DistinguishedNameError)) throw err
    throw new GraphError(400, 'BadRequest', `distinguishedName is not a DN: ${err.message}`, [{ code: 'BadRequest', message: err.message, target: 'distinguishedName', position: err.position }])
  }
  if (rdns.length < 2 || rdns[0]!.type !== 'CN') {
    throw new GraphError(400, 'BadRequest', 'distinguishedName names a user as CN=<cn>,<its OU or domain>.', [{ code: 'BadRequest', message: 'the first RDN of a user\'s DN is CN=', target: 'distinguishedName' }])
  }
  const container = await locateContainer(db, directory, formatDistinguishedName(rdns.slice(1)))
  if (container.kind === 'domainRoot') return { ...filters, relativeName: { ouId: null, cn: rdns[0]!.value } }
  if (container.kind === 'organizationalUnit') return { ...filters, relativeName: { ouId: container.organizationalUnit.id, cn: rdns[0]!.value } }
  return undefined
}
