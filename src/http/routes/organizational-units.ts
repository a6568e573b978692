import type { FastifyInstance } from 'fastify'
import { getDirectory, type Directory } from '../../directory/repository.js'
import { formatDistinguishedName, parentOf, parseDistinguishedName } from '../../directory/ad/distinguished-name.js'
import { checkOrganizationalUnitDn } from '../../directory/ad/organizational-unit-dn.js'
import {
  createOrganizationalUnit, deleteOrganizationalUnit, directoryDomainDn, findOrganizationalUnitByDn, getOrganizationalUnit,
  listOrganizationalUnits, locateContainer, type OrganizationalUnit
} from '../../directory/ad/organizational-units.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError, notFound } from '../graph-error.js'
import { errorResponses } from '../schemas.js'

const READ_ROLES = [ROLES.userRead, ROLES.directoryRead, ROLES.directoryReadWrite]
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

const directoryParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const
const ouParams = { type: 'object', required: ['id', 'ouId'], properties: { id: { type: 'string', format: 'uuid' }, ouId: { type: 'string', format: 'uuid' } } } as const

interface OuParams { id: string, ouId: string }

function toResource (ou: OrganizationalUnit): Record<string, unknown> {
  return { id: ou.id, name: ou.name, distinguishedName: ou.distinguishedName, parentDistinguishedName: parentOf(ou.distinguishedName), createdDateTime: ou.createdAt.toISOString() }
}

const ouPath = (ou: OrganizationalUnit): string => `/directories/${ou.directoryId}/organizationalUnits/${ou.id}`

const invalidDn = (message: string, detail: string, position?: number): GraphError =>
  new GraphError(400, 'BadRequest', message, [{ code: 'invalidValue', target: '/distinguishedName', message: detail, ...(position !== undefined ? { position } : {}) }])

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`

export default async function organizationalUnitRoutes (app: FastifyInstance): Promise<void> {
  /** The ad directory and its domain DN, or the 404 or 400 to answer. */
  async function requireAdDirectory (id: string): Promise<{ directory: Directory, domainDn: string }> {
    const directory = await getDirectory(app.db, id)
    if (directory === undefined) throw notFound(`Directory ${id}`)
    const domainDn = directoryDomainDn(directory)
    if (directory.kind !== 'ad' || domainDn === undefined) {
      throw new GraphError(400, 'BadRequest', `Directory ${id} is an ${directory.kind} directory; organizational units exist only in ad directories.`)
    }
    return { directory, domainDn }
  }

  app.post<{ Params: { id: string }, Body: { distinguishedName: string } }>('/directories/:id/organizationalUnits', {
    schema: {
      tags: ['directories'],
      summary: 'Create an organizational unit',
      operationId: 'createOrganizationalUnit',
      description: 'Creates the OU named by its DN (`OU=Sales,OU=Users,DC=contoso,DC=com`) in an ad directory. Its parent must be the domain or an existing OU; ' +
        'when it is not, the answer names the OU to create first. DNs compare case-insensitively: the same DN again is 409. Role Directory.ReadWrite.All.',
      params: directoryParams,
      body: {
        type: 'object',
        required: ['distinguishedName'],
        additionalProperties: false,
        properties: { distinguishedName: { type: 'string', minLength: 1, maxLength: 2048, description: 'RFC 4514; the first RDN is OU=.' } }
      },
      response: {
        201: {
          $ref: 'OrganizationalUnit#',
          description: 'Created.',
          headers: { Location: { type: 'string', description: "Path of the new OU's resource." } }
        },
        ...errorResponses(400, 401, 403, 404),
        409: { $ref: 'GraphError#', description: 'An OU with this DN exists already (its id is in the message), or the parent was deleted meanwhile.' }
      }
    },
    preHandler: app.requireRoles([ROLES.directoryReadWrite])
  }, async (request, reply) => {
    const { directory, domainDn } = await requireAdDirectory(request.params.id)
    const check = checkOrganizationalUnitDn(request.body.distinguishedName, domainDn)
    if (!check.ok) throw invalidDn(`distinguishedName ${check.problem}.`, check.problem, check.position)
    const [ouRdn] = parseDistinguishedName(check.distinguishedName)
    const parentDn = parentOf(check.distinguishedName)
    const parent = await locateContainer(app.db, directory, parentDn)
    if (parent.kind === 'missing') {
      const what = parent.firstMissing === parentDn ? 'create it first' : `create ${parent.firstMissing} first`
      throw invalidDn(`The parent ${parentDn} does not exist: ${what}.`, `parent ${parentDn} does not exist`)
    }
    if (parent.kind !== 'domainRoot' && parent.kind !== 'organizationalUnit') throw new Error(`a checked OU DN located ${parent.kind}`)
    const parentOu = parent.kind === 'organizationalUnit' ? parent.organizationalUnit : undefined
    const distinguishedName = formatDistinguishedName([ouRdn, ...parseDistinguishedName(parentOu?.distinguishedName ?? domainDn)])
    const created = await createOrganizationalUnit(app.db, { directoryId: directory.id, parentId: parentOu?.id ?? null, distinguishedName })
    if (created === 'parentMissing') throw new GraphError(409, 'Conflict', `The parent ${parentDn} was deleted while the OU was being created.`)
    if (created === 'exists') {
      const existing = await findOrganizationalUnitByDn(app.db, directory.id, distinguishedName)
      throw new GraphError(409, 'Conflict', `${existing?.distinguishedName ?? distinguishedName} already exists${existing === undefined ? '' : ` (id ${existing.id})`}.`)
    }
    return reply.code(201).header('location', ouPath(created)).send(toResource(created))
  })

  app.get<{ Params: { id: string }, Querystring: { $top: number, $skiptoken?: string } }>('/directories/:id/organizationalUnits', {
    schema: {
      tags: ['directories'],
      summary: 'List the organizational units of a directory',
      operationId: 'listOrganizationalUnits',
      description: 'In creation order (so a parent comes before its children). Pages with $top and the $skiptoken carried by @odata.nextLink.',
      params: directoryParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          $top: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          $skiptoken: { type: 'string', pattern: UUID, description: 'Opaque; copy it from @odata.nextLink.' }
        }
      },
      response: {
        200: {
          'x-response-description': 'One page of OUs; `@odata.nextLink` is present when there are more.',
          type: 'object',
          required: ['value'],
          properties: { value: { type: 'array', items: { $ref: 'OrganizationalUnit#' } }, '@odata.nextLink': { type: 'string' } }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles(READ_ROLES)
  }, async request => {
    const { directory } = await requireAdDirectory(request.params.id)
    const { $top: top, $skiptoken: after } = request.query
    const units = await listOrganizationalUnits(app.db, directory.id, { top: top + 1, after })
    const page = units.slice(0, top)
    const body: Record<string, unknown> = { value: page.map(toResource) }
    if (units.length > top) {
      const next = new URLSearchParams({ $top: String(top), $skiptoken: page[page.length - 1].id })
      body['@odata.nextLink'] = `${app.publicBaseUrl(request)}/directories/${directory.id}/organizationalUnits?${next.toString()}`
    }
    return body
  })

  app.get<{ Params: OuParams }>('/directories/:id/organizationalUnits/:ouId', {
    schema: {
      tags: ['directories'],
      summary: 'Read an organizational unit',
      operationId: 'getOrganizationalUnit',
      params: ouParams,
      response: { 200: { $ref: 'OrganizationalUnit#', description: 'The OU.' }, ...errorResponses(400, 401, 403, 404) }
    },
    preHandler: app.requireRoles(READ_ROLES)
  }, async request => {
    const { directory } = await requireAdDirectory(request.params.id)
    const ou = await getOrganizationalUnit(app.db, directory.id, request.params.ouId)
    if (ou === undefined) throw notFound(`Organizational unit ${request.params.ouId} in directory ${directory.id}`)
    return toResource(ou)
  })

  app.delete<{ Params: OuParams }>('/directories/:id/organizationalUnits/:ouId', {
    schema: {
      tags: ['directories'],
      summary: 'Delete an empty organizational unit',
      operationId: 'deleteOrganizationalUnit',
      description: 'Refused (409) while the OU holds OUs or users; the answer says how many. Role Directory.ReadWrite.All.',
      params: ouParams,
      response: {
        204: { type: 'null', description: 'Deleted.' },
        ...errorResponses(400, 401, 403, 404),
        409: { $ref: 'GraphError#', description: 'The OU still holds OUs or users; the message says how many.' }
      }
    },
    preHandler: app.requireRoles([ROLES.directoryReadWrite])
  }, async (request, reply) => {
    const { directory } = await requireAdDirectory(request.params.id)
    const { ouId } = request.params
    const ou = await getOrganizationalUnit(app.db, directory.id, ouId)
    const result = ou === undefined ? 'notFound' : await deleteOrganizationalUnit(app.db, directory.id, ouId)
    if (result === 'notFound') throw notFound(`Organizational unit ${ouId} in directory ${directory.id}`)
    if (typeof result === 'object') {
      const held = [plural(result.organizationalUnits, 'organizational unit'), plural(result.users, 'user')].join(' and ')
      throw new GraphError(409, 'Conflict', `${ou!.distinguishedName} still holds ${held}; delete or move them first.`)
    }
    return reply.code(204).send()
  })
}
