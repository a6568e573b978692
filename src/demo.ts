import path from 'node:path'
import type { Db } from './db/pool.js'
import { createDirectory } from './directory/repository.js'
import { createServicePrincipal, setStatus } from './jobs/repository.js'
import { PROJECT_ROOT } from './paths.js'

export interface DemoJob {
  servicePrincipalId: string
  jobId: string
  directoryId: string
}

export const DEMO_PAYLOAD_FILE = path.join(PROJECT_ROOT, 'examples', 'demo-bulk-request.json')

/**
 * On the first start of an empty database: a contoso.com directory and a started API2AAD
 * job with a notification email, so the printed curl provisions users at once. Later
 * starts find the demo job again.
 */
export async function ensureDemo (db: Db): Promise<DemoJob> {
  const { rows: [existing] } = await db.query(
    `SELECT j.id, j.service_principal_id, j.directory_id FROM sync_jobs j JOIN service_principals sp ON sp.id = j.service_principal_id
     WHERE sp.display_name = 'HR inbound (demo)' ORDER BY j.created_at LIMIT 1`)
  if (existing !== undefined) return { jobId: existing.id, servicePrincipalId: existing.service_principal_id, directoryId: existing.directory_id }
  const { rows: [{ count }] } = await db.query('SELECT count(*)::int AS count FROM directories')
  if (count > 0) throw new Error('the database holds directories but no demo job; not creating a demo (set DEMO=false)')
  const directory = await createDirectory(db, { displayName: 'Contoso (demo)', kind: 'entra', domains: ['contoso.com'] })
  const sp = await createServicePrincipal(db, {
    displayName: 'HR inbound (demo)',
    templateId: 'API2AAD',
    directoryId: directory.id,
    owners: [],
    settings: { notificationEmail: 'identity-team@contoso.com' }
  })
  await setStatus(db, sp.job.id, 'Active')
  return { jobId: sp.job.id, servicePrincipalId: sp.id, directoryId: directory.id }
}
