import type { DbClient } from '../../db/pool.js'
import { domainDistinguishedName } from '../../directory/ad/distinguished-name.js'
import { toSamAccountNameCandidate } from '../../directory/ad/sam-account-name.js'
import type { AdUserRecord } from '../../directory/ad/user.js'
import { deleteAdUsers, linkWaitingAdReports, loadAdUsers, loadContainers, recordAdSources, releaseAdUniqueValues, writeAdUsers, type AdLookupKeys, type Container } from '../../directory/ad/users-repository.js'
import { encodeLogEntries, type LogEntry } from '../../logs/provisioning-log-writer.js'
import type { PreparedOperation } from '../apply-operations.js'
import type { CycleState } from '../cycles.js'
import type { AppliedBatch, BatchOptions, ClaimedBatch, LogWriter } from '../process-batch.js'
import { linkedReportEntries } from '../reference-resolution.js'
import { stageOperations } from '../staged-operations.js'
import { applyAdOperations, distinguishedNameOf, parentKeyOf, type AdMappedUser } from './apply-ad-operations.js'

/** A numbered sAMAccountName keeps at least this much of its base (20 characters less room for 1–999). */
const SAM_PREFIX_LENGTH = 16

interface GatheredOperations {
  operations: PreparedOperation[]
  /** The request of each operation, by position. */
  requestOfOperation: string[]
  /** Log entries already decided (operations of requests that failed for good). */
  entries: LogEntry[]
}

/**
 * The AD half of a batch, inside its transaction: load the containers and users the
 * operations can touch, apply them in memory, then write deletes, users, pending references
 * and the log, as the entra path does.
 */
export async function applyToAdDirectory (client: DbClient, batch: ClaimedBatch, gathered: GatheredOperations, cycle: CycleState, options: BatchOptions, writeLogs: LogWriter): Promise<AppliedBatch> {
  const { operations, requestOfOperation, entries } = gathered
  const mapped = operations.map(operation => operation.mapped as unknown as AdMappedUser)
  const domain = batch.domains[0]!
  const domainDn = domainDistinguishedName(domain)
  const defaultKey = batch.defaultOu === null ? undefined : parentKeyOf(batch.defaultOu)
  const containers = await loadContainers(client, batch.directoryId, domainDn, containerKeys(mapped, defaultKey !== undefined && 'key' in defaultKey ? defaultKey.key : undefined))
  const defaultContainer = defaultKey !== undefined && 'key' in defaultKey ? containers.get(defaultKey.key) : undefined
  const loaded = await loadUsers(client, batch, domainDn, mapped, containers, defaultContainer)

  const { settings } = cycle
  const result = applyAdOperations(operations, loaded, {
    jobId: batch.jobId,
    domain,
    defaultOu: batch.defaultOu,
    containers,
    now: new Date(),
    deleteAllowance: settings.deleteThresholdEnabled ? Math.max(0, settings.deleteThreshold - cycle.deletes) : Infinity,
    skipOutOfScopeDeletions: settings.skipOutOfScopeDeletions
  })
  result.outcomes.forEach((outcome, index) => { if (outcome.quiet !== true) entries.push({ requestId: requestOfOperation[index]!, outcome }) })
  await stageOperations(client, batch.jobId, result.staged.map(staged => ({
    requestId: requestOfOperation[staged.position]!,
    operationIndex: operations[staged.position]!.op.index,
    userId: staged.userId,
    action: staged.action
  })))

  await deleteAdUsers(client, result.deletedIds)
  await releaseAdUniqueValues(client, usersGivingUpUniqueValues(loaded, result.changed))
  await writeAdUsers(client, batch.directoryId, result.changed)
  await recordAdSources(client, result.unchangedSources)
  const linked = await linkWaitingAdReports(client, batch.directoryId, result.arrivedIds, result.changed.map(user => user.id))
  const log = writeLogs(encodeLogEntries(entries))
  await log.sent
  options.prepared?.prepareWaiting()
  await log.written
  const applied = { outcomes: entries.map(entry => entry.outcome), appliedDeletes: result.appliedDeletes, staged: result.staged.length }
  if (linked.length === 0) return { entries: entries.length, ...applied }

  const written = new Map(result.changed.map(user => [user.id, user]))
  const linkedEntries = linkedReportEntries(linked, result.outcomes, requestOfOperation, batch.requests.at(-1)!.id,
    report => { const manager = written.get(report.managerId); return manager === undefined ? report.managerId : distinguishedNameOf(manager) })
  await writeLogs(encodeLogEntries(linkedEntries)).written
  return { entries: entries.length + linkedEntries.length, ...applied }
}

/** The containers the operations name (and the default OU), as lower-cased canonical DNs. */
function containerKeys (mapped: AdMappedUser[], defaultOuKey: string | undefined): string[] {
  const keys = new Set<string>()
  if (defaultOuKey !== undefined) keys.add(defaultOuKey)
  for (const user of mapped) {
    for (const dn of parentsOf(user)) {
      const parent = parentKeyOf(dn)
      if ('key' in parent) keys.add(parent.key)
    }
  }
  return [...keys]
}

function parentsOf (user: AdMappedUser): string[] {
  return [user.attributes.parentDistinguishedName, user.onCreate.parentDistinguishedName, user.whenEmpty.parentDistinguishedName]
    .filter((dn): dn is string => typeof dn === 'string' && dn !== '')
}

/**
 * Every user the operations can match, reference or collide with. cn is unique per
 * container, so holders of a cn are looked up in the container the user will be in: the
 * one its mapping names, else (for an existing user) its own, else the default OU — the
 * second round covers users whose container is known only once they are loaded.
 */
async function loadUsers (client: DbClient, batch: ClaimedBatch, domainDn: string, mapped: AdMappedUser[], containers: Map<string, Container>, defaultContainer: Container | undefined): Promise<AdUserRecord[]> {
  const keys: AdLookupKeys = { employeeIds: [], upns: [], samPrefixes: [], relativeNames: [] }
  const later: Array<{ user: AdMappedUser, cns: string[] }> = []
  for (const user of mapped) {
    const values = [user.attributes, user.onCreate, user.whenEmpty]
    for (const key of user.matchKeys) {
      if (key.attribute === 'employeeID') keys.employeeIds.push(key.value)
      else if (key.attribute === 'userPrincipalName') keys.upns.push(key.value.toLowerCase())
      else keys.samPrefixes.push(key.value.toLowerCase())
    }
    if (typeof user.managerExternalId === 'string') keys.employeeIds.push(user.managerExternalId)
    const cns: string[] = []
    for (const value of values) {
      if (typeof value.employeeID === 'string') keys.employeeIds.push(value.employeeID)
      if (typeof value.userPrincipalName === 'string') keys.upns.push(value.userPrincipalName.toLowerCase())
      if (typeof value.sAMAccountName === 'string') keys.samPrefixes.push(value.sAMAccountName.toLowerCase())
      if (typeof value.cn === 'string') cns.push(value.cn)
    }
    for (const { target, candidates } of user.unique) {
      if (target === 'userPrincipalName') keys.upns.push(...candidates.map(candidate => candidate.toLowerCase()))
      else if (target === 'sAMAccountName') keys.samPrefixes.push(...candidates.map(candidate => toSamAccountNameCandidate(candidate).toLowerCase().slice(0, SAM_PREFIX_LENGTH)))
      else cns.push(...candidates)
    }
    // A user created without a sAMAccountName gets one generated from its cn.
    if (!user.unique.some(entry => entry.target === 'sAMAccountName') && !values.some(value => typeof value.sAMAccountName === 'string')) {
      keys.samPrefixes.push(...cns.map(cn => toSamAccountNameCandidate(cn).toLowerCase().slice(0, SAM_PREFIX_LENGTH)))
    }
    const named = parentsOf(user).map(parentKeyOf).find(parent => 'key' in parent)
    const container = named === undefined ? undefined : containers.get((named as { key: string }).key)
    if (container !== undefined) keys.relativeNames.push(...cns.map(cn => ({ ouId: container.ouId, cn: cn.toLowerCase() })))
    if (named === undefined && cns.length > 0) later.push({ user, cns })
  }
  const first = await loadAdUsers(client, batch.directoryId, domainDn, dedupe(keys))
  const byKey = new Map<string, AdUserRecord>()
  for (const user of first) {
    if (user.employeeID !== null) byKey.set(`employeeID:${user.employeeID}`, user)
    if (user.userPrincipalName !== null) byKey.set(`userPrincipalName:${user.userPrincipalName.toLowerCase()}`, user)
    byKey.set(`sAMAccountName:${user.sAMAccountName!.toLowerCase()}`, user)
  }
  const more: AdLookupKeys = { employeeIds: [], upns: [], samPrefixes: [], relativeNames: [] }
  for (const { user, cns } of later) {
    const existing = user.matchKeys.map(key => byKey.get(`${key.attribute}:${key.attribute === 'employeeID' ? key.value : key.value.toLowerCase()}`)).find(found => found !== undefined)
    const ouId = existing !== undefined ? existing.ouId : defaultContainer?.ouId
    if (ouId === undefined) continue
    more.relativeNames.push(...cns.map(cn => ({ ouId, cn: cn.toLowerCase() })))
  }
  if (more.relativeNames.length === 0) return first
  const loaded = new Map(first.map(user => [user.id, user]))
  for (const user of await loadAdUsers(client, batch.directoryId, domainDn, dedupe(more))) if (!loaded.has(user.id)) loaded.set(user.id, user)
  return [...loaded.values()]
}

function dedupe (keys: AdLookupKeys): AdLookupKeys {
  const names = new Map(keys.relativeNames.map(name => [`${name.ouId ?? ''}/${name.cn}`, name]))
  return { employeeIds: [...new Set(keys.employeeIds)], upns: [...new Set(keys.upns)], samPrefixes: [...new Set(keys.samPrefixes)], relativeNames: [...names.values()] }
}

/** Users whose sAMAccountName, userPrincipalName or DN changes: their old values are freed before the write. */
function usersGivingUpUniqueValues (loaded: AdUserRecord[], changed: AdUserRecord[]): string[] {
  const before = new Map(loaded.map(user => [user.id, user]))
  return changed.filter(user => {
    const previous = before.get(user.id)
    if (previous === undefined) return false
    return previous.sAMAccountName?.toLowerCase() !== user.sAMAccountName?.toLowerCase() ||
      previous.userPrincipalName?.toLowerCase() !== user.userPrincipalName?.toLowerCase() ||
      previous.cn?.toLowerCase() !== user.cn?.toLowerCase() || previous.ouId !== user.ouId
  }).map(user => user.id)
}
