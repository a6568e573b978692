import type { FastifyInstance } from 'fastify'
import { createDirectory, getDirectory, type Directory } from '../../directory/repository.js'
import { domainDistinguishedName } from '../../directory/ad/distinguished-name.js'
import { checkOrganizationalUnitDn } from '../../directory/ad/organizational-unit-dn.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError, notFound } from '../graph-error.js'
import { errorResponses } from '../schemas.js'

const DOMAIN = '^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$'

type CreateDirectoryBody =
  | { displayName: string, kind: 'entra', domains: string[] }
  | { displayName: string, kind: 'ad', domain: string, defaultOu: string }

export function directoryResource (directory: Directory): Record<string, unknown> {
  const common = { id: directory.id, displayName: directory.displayName, kind: directory.kind, domains: directory.domains }
  if (directory.kind === 'entra') return { ...common, createdDateTime: directory.createdAt.toISOString() }
  const domain = directory.domains[0]
  return {
    ...common,
    domain,
    domainDistinguishedName: domainDistinguishedName(domain),
    defaultOu: directory.defaultOu,
    createdDateTime: directory.createdAt.toISOString()
  }
}

/** The fields of the other kind, which the schema's union of properties lets through. */
function refuseFieldsOfOtherKind (body: Record<string, unknown>): void {
  const foreign = body.kind === 'ad' ? ['domains'] : ['domain', 'defaultOu']
  const sent = foreign.filter(name => name in body)
  if (sent.length === 0) return
  const hint = body.kind === 'ad' ? 'an ad directory has one domain, sent as domain' : 'an entra directory lists its verified domains in domains'
  throw new GraphError(400, 'BadRequest', `${sent.join(' and ')} ${sent.length === 1 ? 'is' : 'are'} not for an ${String(body.kind)} directory: ${hint}.`,
    sent.map(name => ({ code: 'invalidValue', target: `/${name}`, message: `not allowed when kind is ${String(body.kind)}` })))
}

/** domains and default OU of an ad directory, from its domain and the default OU as sent. */
function adDirectoryFields (domain: string, defaultOu: string): { domains: string[], defaultOu: string } {
  const domainDn = domainDistinguishedName(domain)
  const check = checkOrganizationalUnitDn(defaultOu, domainDn)
  if (!check.ok) {
    throw new GraphError(400, 'BadRequest', `defaultOu ${check.problem}.`,
      [{ code: 'invalidValue', target: '/defaultOu', message: check.problem, ...(check.position !== undefined ? { position: check.position } : {}) }])
  }
  return { domains: [domain], defaultOu: check.distinguishedName }
}

export default async function directoryRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: CreateDirectoryBody }>('/directories', {
    schema: {
      tags: ['directories'],
      summary: 'Create a target directory',
      operationId: 'createDirectory',
      description: 'Creates an entra-shaped directory with its verified domains (the first is the default), or an ad directory (on-premises Active Directory) with its domain ' +
        'and default OU: the domain DN (`DC=contoso,DC=com`) derives from the domain, and the default OU must be an OU= DN under it (create it, and any OU above it, ' +
        'with POST /directories/{id}/organizationalUnits). Role Directory.ReadWrite.All.',
      body: {
        type: 'object',
        required: ['displayName', 'kind'],
        additionalProperties: false,
        properties: {
          displayName: { type: 'string', minLength: 1, maxLength: 256 },
          kind: { type: 'string', enum: ['entra', 'ad'] },
          domains: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: DOMAIN }, description: 'entra: the verified domains.' },
          domain: { type: 'string', pattern: DOMAIN, description: 'ad: the domain, e.g. `contoso.com`.' },
          defaultOu: { type: 'string', minLength: 1, maxLength: 2048, description: 'ad: where users go unless a mapping gives parentDistinguishedName, e.g. `OU=Users,DC=contoso,DC=com`.' }
        },
        if: { properties: { kind: { const: 'ad' } } },
        then: { required: ['domain', 'defaultOu'] },
        else: { required: ['domains'] }
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
    const body = request.body
    refuseFieldsOfOtherKind(body)
    const directory = body.kind === 'ad'
      ? await createDirectory(app.db, { displayName: body.displayName, kind: 'ad', ...adDirectoryFields(body.domain.toLowerCase(), body.defaultOu) })
      : await createDirectory(app.db, body)
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
