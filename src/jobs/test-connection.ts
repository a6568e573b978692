import type { Db } from '../db/pool.js'
import { getDirectory, type Directory } from '../directory/repository.js'
import { DistinguishedNameError } from '../directory/ad/distinguished-name.js'
import { directoryDomainDn, locateContainer } from '../directory/ad/organizational-units.js'
import type { SyncJob } from './repository.js'

export interface ConnectionCheck { name: 'directory' | 'domain' | 'defaultOu', succeeded: boolean, message: string }
export interface ConnectionTest { succeeded: boolean, checks: ConnectionCheck[] }

const passed = (name: ConnectionCheck['name'], message: string): ConnectionCheck => ({ name, succeeded: true, message })
const failed = (name: ConnectionCheck['name'], message: string): ConnectionCheck => ({ name, succeeded: false, message })

/**
 * Whether the job's target is ready to be written: the directory and its kind, the domain,
 * and for an ad directory the default OU. A check that depends on a failed one is listed as
 * failed with "Not checked", so the answer always has the same checks for a template.
 */
export async function testConnection (db: Db, job: SyncJob): Promise<ConnectionTest> {
  const directory = await getDirectory(db, job.directoryId)
  const checks = job.templateId === 'API2AD' ? await checkAdTarget(db, job, directory) : checkEntraTarget(job, directory)
  return { succeeded: checks.every(check => check.succeeded), checks }
}

function checkDirectory (job: SyncJob, directory: Directory | undefined, kind: Directory['kind']): ConnectionCheck {
  if (directory === undefined) return failed('directory', `Directory ${job.directoryId} does not exist.`)
  const named = `Directory '${directory.displayName}' (${directory.id})`
  if (directory.kind !== kind) return failed('directory', `${named} is an ${directory.kind} directory; ${job.templateId} provisions into an ${kind} directory.`)
  return passed('directory', `${named} exists and is an ${kind} directory.`)
}

function checkEntraTarget (job: SyncJob, directory: Directory | undefined): ConnectionCheck[] {
  const directoryCheck = checkDirectory(job, directory, 'entra')
  if (!directoryCheck.succeeded || directory === undefined) return [directoryCheck, failed('domain', 'Not checked: the directory is not usable.')]
  const [defaultDomain] = directory.domains
  const domainCheck = defaultDomain === undefined
    ? failed('domain', 'The directory has no verified domain; userPrincipalNames need one.')
    : passed('domain', `Verified domain ${defaultDomain} is the default${directory.domains.length > 1 ? ` (${directory.domains.length} verified)` : ''}.`)
  return [directoryCheck, domainCheck]
}

async function checkAdTarget (db: Db, job: SyncJob, directory: Directory | undefined): Promise<ConnectionCheck[]> {
  const directoryCheck = checkDirectory(job, directory, 'ad')
  if (!directoryCheck.succeeded || directory === undefined) {
    return [directoryCheck, failed('domain', 'Not checked: the directory is not usable.'), failed('defaultOu', 'Not checked: the directory is not usable.')]
  }
  const domainDn = directoryDomainDn(directory)
  if (domainDn === undefined) return [directoryCheck, failed('domain', 'The directory has no domain.'), failed('defaultOu', 'Not checked: the directory has no domain.')]
  return [directoryCheck, passed('domain', `Domain ${directory.domains[0]}, DN ${domainDn}.`), await checkDefaultOu(db, directory)]
}

async function checkDefaultOu (db: Db, directory: Directory): Promise<ConnectionCheck> {
  const defaultOu = directory.defaultOu
  if (defaultOu === null) return failed('defaultOu', 'The directory has no default OU: users without a mapped parentDistinguishedName have nowhere to go.')
  let location
  try {
    location = await locateContainer(db, directory, defaultOu)
  } catch (err) {
    if (err instanceof DistinguishedNameError) return failed('defaultOu', `The default OU '${defaultOu}' is not a distinguished name: ${err.message} (character ${err.position}).`)
    throw err
  }
  switch (location.kind) {
    case 'organizationalUnit': return passed('defaultOu', `${location.organizationalUnit.distinguishedName} exists.`)
    case 'domainRoot': return passed('defaultOu', `${defaultOu} is the domain itself.`)
    case 'outsideDomain': return failed('defaultOu', `${defaultOu} does not lie under the domain ${location.domainDistinguishedName ?? ''}.`)
    case 'missing': {
      const then = location.firstMissing === defaultOu ? '' : `, then each OU below it down to ${defaultOu}`
      return failed('defaultOu', `${defaultOu} does not exist: create ${location.firstMissing}${then}`)
    }
  }
}
