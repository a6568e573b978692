import { createSigner } from 'fast-jwt'

export interface TokenRequest {
  secret: string
  roles: string[]
  subject: string
  /** Seconds until the token expires. */
  expiresIn: number
  issuer?: string
  audience?: string
}

/** Mints an HS256 token the service accepts when it runs with the same JWT_SECRET. */
export function mintToken (request: TokenRequest): string {
  const sign = createSigner({
    key: request.secret,
    algorithm: 'HS256',
    expiresIn: request.expiresIn * 1000,
    ...(request.issuer !== undefined ? { iss: request.issuer } : {}),
    ...(request.audience !== undefined ? { aud: request.audience } : {})
  })
  return sign({ roles: request.roles, sub: request.subject, azp: request.subject })
}

/** Every role the service knows, for a local all-powerful token. */
export const ALL_ROLES = [
  'SynchronizationData-User.Upload',
  'Synchronization.ReadWrite.All',
  'ProvisioningLog.Read.All',
  'AuditLog.Read.All',
  'Directory.ReadWrite.All',
  'User.Read.All'
]
