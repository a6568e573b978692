import type { FastifyInstance } from 'fastify'
import { Readable } from 'node:stream'
import { getDirectory } from '../../directory/repository.js'
import { adDirectoryEntries } from '../../directory/ad/ldif-export.js'
import { ldifDocument } from '../../directory/ad/ldif.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError, notFound } from '../graph-error.js'
import { errorResponses } from '../schemas.js'

/** The roles that may read a directory's users (as GET /directories/{id}/users). */
const READ_ROLES = [ROLES.userRead, ROLES.directoryRead, ROLES.directoryReadWrite]

/*
 * No media type is registered for LDIF (RFC 2849 registers none). text/x-ldif is the name
 * freedesktop's shared-mime-info gives *.ldif files, so desktops and browsers recognise it,
 * and as text/* it shows in a browser or terminal; LDAP tools (ldapadd, slapadd, ldifde) read
 * files or standard input and look at no media type.
 */
export const LDIF_MEDIA_TYPE = 'text/x-ldif'

export default async function directoryExportRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: { id: string } }>('/directories/:id/export.ldif', {
    schema: {
      tags: ['directories'],
      summary: 'Export an ad directory as LDIF',
      operationId: 'exportDirectoryLdif',
      description: 'Streams an ad directory as RFC 2849 LDIF content records, one consistent snapshot, in an order an LDAP server can add them: ' +
        'the domain (`DC=contoso,DC=com`, objectClass domain), its organizational units parents before children, then the users ' +
        '(objectClass top/person/organizationalPerson/user: cn, sAMAccountName, userPrincipalName, employeeID, userAccountControl 512 or 514 when disabled, ' +
        'objectGUID in Active Directory\'s byte order, the mapped text attributes that have a value, accountExpires, and manager as a DN). ' +
        'Values that are not plain ASCII, or start with a space, colon or `<`, or end with a space, are base64 (`name::`); lines fold at 76 characters. ' +
        'An entra directory has no LDAP shape and is refused. Roles User.Read.All, Directory.Read.All or Directory.ReadWrite.All.',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
      response: {
        200: {
          description: 'The directory as LDIF (UTF-8), sent as it is read.',
          headers: { 'Content-Disposition': { type: 'string', description: 'attachment; filename="<domain>.ldif"' } },
          content: { [LDIF_MEDIA_TYPE]: { schema: { type: 'string', description: 'RFC 2849 LDIF: `version: 1`, then one content record per entry.' } } }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    },
    preHandler: app.requireRoles(READ_ROLES)
  }, async (request, reply) => {
    const { id } = request.params
    const directory = await getDirectory(app.db, id)
    if (directory === undefined) throw notFound(`Directory ${id}`)
    if (directory.kind !== 'ad') {
      throw new GraphError(400, 'BadRequest', `Directory ${id} is an ${directory.kind} directory; only an ad directory (a domain, organizational units and distinguished names) can be exported as LDIF.`)
    }
    // The generator opens its transaction when the response starts reading, and closes it when
    // the stream ends or is destroyed (client gone): nothing is held for a response never sent.
    const body = Readable.from(ldifDocument(adDirectoryEntries(app.db, directory)))
    return reply
      .type(`${LDIF_MEDIA_TYPE}; charset=utf-8`)
      .header('content-disposition', `attachment; filename="${directory.domains[0]}.ldif"`)
      .send(body)
  })
}
