import type { Config } from './config.js'
import { ALL_ROLES, mintToken } from './auth/mint-token.js'
import { DEMO_PAYLOAD_FILE, type DemoJob } from './demo.js'

/** What a first-time user needs on screen: where to post, a token, and a command that works. */
export function printWelcome (config: Config, demo: DemoJob, embedded: boolean): void {
  const base = config.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${config.PORT}`
  const url = `${base}/servicePrincipals/${demo.servicePrincipalId}/synchronization/jobs/${demo.jobId}/bulkUpload`
  const token = config.JWT_SECRET === undefined
    ? '<a token from your identity provider>'
    : mintToken({ secret: config.JWT_SECRET, roles: ALL_ROLES, subject: 'local-admin', expiresIn: 24 * 3600, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE })
  const lines = [
    '',
    `scim-inbound is ready on ${base} (${embedded ? 'embedded PostgreSQL' : 'PostgreSQL'}, queue on ${config.REDIS_URL === undefined ? 'PostgreSQL' : 'Redis'})`,
    '',
    `Demo directory (contoso.com): ${demo.directoryId}`,
    `bulkUpload URL: ${url}`,
    '',
    'Token (24 h, every role):',
    `  export TOKEN=${token}`,
    '',
    'Provision three users:',
    `  curl -i -X POST '${url}' \\`,
    "    -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/scim+json' \\",
    `    --data-binary @${DEMO_PAYLOAD_FILE}`,
    '',
    'Then follow the Location header, or read the users back:',
    `  curl -s -H "Authorization: Bearer $TOKEN" '${base}/directories/${demo.directoryId}/users'`,
    ''
  ]
  process.stdout.write(lines.join('\n') + '\n')
}
