import type { FastifyRequest } from 'fastify'
import type { SyncJob } from '../jobs/repository.js'
import { GraphError } from './graph-error.js'
import { ROLES } from './plugins/auth.js'

/**
 * Upload-style access to one job: `SynchronizationData-User.Upload` reaches any job,
 * `…Upload.OwnedBy` only jobs whose app lists the caller as owner; `otherRoles` (readers)
 * reach any job.
 */
export function assertJobAccess (request: FastifyRequest, job: SyncJob, otherRoles: readonly string[] = []): void {
  const { roles, clientId } = request.principal
  if (roles.includes(ROLES.upload) || otherRoles.some(role => roles.includes(role))) return
  if (roles.includes(ROLES.uploadOwnedBy)) {
    if (job.owners.includes(clientId)) return
    throw new GraphError(403, 'Authorization_RequestDenied', `Client '${clientId}' holds ${ROLES.uploadOwnedBy} but is not an owner of this provisioning app.`)
  }
  throw new GraphError(403, 'Authorization_RequestDenied', `Insufficient privileges: the token needs ${[ROLES.upload, ROLES.uploadOwnedBy, ...otherRoles].join(' or ')}.`)
}
