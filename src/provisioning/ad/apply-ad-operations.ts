import { v4 as randomGuid } from 'uuid'
import { DistinguishedNameError, distinguishedNameKey, formatDistinguishedName, parseDistinguishedName, userDistinguishedName } from '../../directory/ad/distinguished-name.js'
import { samAccountNameProblem, toSamAccountNameCandidate, withNumberSuffix } from '../../directory/ad/sam-account-name.js'
import { AD_ATTRIBUTES, type AdAttributeName, type AdAttributeValues, type AdUserRecord } from '../../directory/ad/user.js'
import type { Container } from '../../directory/ad/users-repository.js'
import { checkAdUserPrincipalName } from '../../directory/ad/user-principal-name.js'
import type { MappedUser } from '../../mapping/apply-mappings.js'
import type { ApplyResult, PreparedOperation, StagedOperation } from '../apply-operations.js'
import type { ModifiedProperty, OperationOutcome } from '../outcome.js'
import { fail, hideRedacted, newOutcome, skipUnchanged, stage, step, succeed } from '../outcome-steps.js'
import { AdDirectoryIndex } from './ad-directory-index.js'

export type AdMappedUser = MappedUser<Partial<AdAttributeValues>, 'employeeID' | 'userPrincipalName' | 'sAMAccountName', 'sAMAccountName' | 'userPrincipalName' | 'cn'>

export interface AdApplyContext {
  jobId: string
  domain: string
  /** Where users go when no mapping places them; null when the directory has none. */
  defaultOu: string | null
  /** The containers the batch's users may be placed in, by lower-cased canonical DN (see parentKeyOf). */
  containers: Map<string, Container>
  now: Date
  deleteAllowance?: number
  skipOutOfScopeDeletions?: boolean
}

export interface AdApplyResult extends Omit<ApplyResult, 'changed'> {
  /** Final state of every user to write (created or changed, not deleted). */
  changed: AdUserRecord[]
}

/** numbered sAMAccountNames tried after every candidate is taken: jsmith1 … jsmith999. */
const MAX_NUMBER_SUFFIX = 999

/**
 * Applies a batch's operations, in order, to the AD users loaded for it — the AD twin of
 * applyOperations: pure and in memory, each operation seeing the ones before it. Users sit
 * in containers (an OU or the domain); their DN is `CN=<cn>,<container>`, so a changed cn
 * renames and a changed parentDistinguishedName moves. Deletes are hard deletes.
 */
export function applyAdOperations (prepared: PreparedOperation[], loaded: AdUserRecord[], context: AdApplyContext): AdApplyResult {
  const index = new AdDirectoryIndex(loaded)
  const changed = new Map<string, AdUserRecord>()
  const lastOutcomeFor = new Map<string, OperationOutcome>()
  const outcomes: OperationOutcome[] = []
  const staged: StagedOperation[] = []
  const unchangedSources = new Map<string, NonNullable<AdUserRecord['source']>>()
  let allowance = context.deleteAllowance ?? Infinity
  let appliedDeletes = 0

  for (const [position, { op, mapped: generic, source, resync }] of prepared.entries()) {
    const mapped = generic as unknown as AdMappedUser
    const outcome = newOutcome(op, mapped)
    outcomes.push(outcome)
    const match = findMatch(mapped, index)
    const existing = match?.user
    if (resync === true && (existing === undefined || existing.source?.requestId !== source?.requestId || existing.source?.operationIndex !== source?.operationIndex)) {
      outcome.quiet = true
      continue
    }
    if (mapped.ignoredAttributes.length > 0) {
      outcome.steps.push(step('EntryImportIgnoredAttributes', 'import', 'warning', `Not declared in the job's extension attributes, so not mapped: ${mapped.ignoredAttributes.join(', ')}.`))
    }
    if (mapped.error !== undefined) { fail(outcome, mapped.error.errorCode, mapped.error.reason); continue }
    outcome.steps.push(step('EntrySynchronizationAdd', 'matching', existing !== undefined ? 'success' : 'skipped',
      match !== undefined ? `Matched a user with ${match.attribute} '${match.value}'.` : mapped.matchKeys.length === 0 ? 'The record has no value for a matching attribute.' : `No user with ${mapped.matchKeys.map(key => `${key.attribute} '${key.value}'`).join(' or ')} exists.`))
    if (existing === undefined && mapped.matchKeys.length === 0 && op.method !== 'DELETE') {
      fail(outcome, 'MatchingAttributeMissing', 'The record has no value for any matching attribute of the job\'s schema, so it cannot be matched to a user.')
      continue
    }
    if (mapped.outOfScope && op.method !== 'DELETE') {
      outcome.steps.push(step('EntryScoping', 'scoping', 'skipped', 'The record is out of the job\'s scoping filter.'))
      if (existing === undefined || existing.accountDisabled || context.skipOutOfScopeDeletions === true) {
        skipOutOfScope(outcome, existing)
        continue
      }
    }
    const deletion = existing === undefined ? undefined : op.method === 'DELETE' ? 'delete' : !existing.accountDisabled && (mapped.outOfScope || mapped.attributes.accountDisabled === true) ? 'disable' : undefined
    if (deletion !== undefined && allowance <= 0) {
      stage(outcome, { id: existing!.id, displayName: existing!.displayName ?? existing!.cn }, deletion)
      staged.push({ position, userId: existing!.id, action: deletion })
      continue
    }

    let result: AdUserRecord | undefined
    if (op.method === 'DELETE') result = existing !== undefined ? hardDelete(existing, outcome) : skipDelete(outcome, op.data.externalId)
    else if (mapped.outOfScope) result = disable(existing!, outcome, context, 'Disabled the user: its record is out of the job\'s scope.')
    else if (existing !== undefined) result = update(existing, mapped, outcome, index, context)
    else result = create(mapped, outcome, index, context)
    if (result !== undefined && deletion !== undefined) { allowance--; appliedDeletes++ }
    hideRedacted(outcome, mapped.redacted)
    if (op.method === 'POST' && source !== undefined) {
      if (result !== undefined) { result.source = source; unchangedSources.delete(result.id) } else if (existing !== undefined && outcome.status === 'skipped' && !changed.has(existing.id)) unchangedSources.set(existing.id, source)
    }
    if (resync === true && result === undefined && outcome.status === 'skipped') outcome.quiet = true
    if (result === undefined) continue
    if (op.method !== 'DELETE') linkManager(result, mapped, index, outcome)
    index.put(result)
    changed.set(result.id, result)
    lastOutcomeFor.set(result.id, outcome)
  }

  const before = new Map(loaded.map(user => [user.id, user]))
  const deletedIds = [...changed.values()].filter(user => user.deleted === true && before.has(user.id)).map(user => user.id)
  const gone = new Set([...changed.values()].filter(user => user.deleted === true).map(user => user.id))
  const live = [...changed.values()].filter(user => user.deleted !== true)
  for (const user of live) {
    // A manager deleted later in the batch is no longer anyone's manager; the reference stays pending.
    if (user.managerId !== null && gone.has(user.managerId)) user.managerId = null
    // A report processed before its manager in the same batch is linked now.
    if (user.managerExternalId === null || user.managerId !== null) continue
    const manager = index.byEmployeeId(user.managerExternalId)
    if (manager === undefined || manager.id === user.id) continue
    user.managerId = manager.id
    const outcome = lastOutcomeFor.get(user.id)!
    outcome.modifiedProperties.push({ displayName: 'manager', oldValue: null, newValue: distinguishedNameOf(manager) })
    outcome.steps.push(step('EntryReferenceResolution', 'referenceResolution', 'success', `Linked manager '${user.managerExternalId}' provisioned by a later operation.`))
  }
  const arrivedIds = live.filter(user => !before.has(user.id)).map(user => user.id)
  return { outcomes, changed: live, arrivedIds, deletedIds, appliedDeletes, staged, unchangedSources: [...unchangedSources].map(([id, source]) => ({ id, source })) }
}

export function distinguishedNameOf (user: Pick<AdUserRecord, 'cn' | 'parentDistinguishedName'>): string {
  return userDistinguishedName(user.cn!, user.parentDistinguishedName!)
}

/** The lower-cased canonical form of a parentDistinguishedName a mapping gives, or the reason it is not a DN. */
export function parentKeyOf (dn: string): { key: string, canonical: string } | { problem: string } {
  try {
    const rdns = parseDistinguishedName(dn)
    if (rdns.length === 0) return { problem: 'parentDistinguishedName is empty' }
    return { key: distinguishedNameKey(rdns), canonical: formatDistinguishedName(rdns) }
  } catch (err) {
    if (!(err instanceof DistinguishedNameError)) throw err
    return { problem: `parentDistinguishedName '${dn}' is not a distinguished name: ${err.message}` }
  }
}

function findMatch (mapped: AdMappedUser, index: AdDirectoryIndex): { user: AdUserRecord, attribute: string, value: string } | undefined {
  for (const { attribute, value } of mapped.matchKeys) {
    const user = attribute === 'employeeID' ? index.byEmployeeId(value) : attribute === 'userPrincipalName' ? index.holderOfUpn(value) : index.holderOfSamAccountName(value)
    if (user !== undefined) return { user, attribute, value }
  }
  return undefined
}

function create (mapped: AdMappedUser, outcome: OperationOutcome, index: AdDirectoryIndex, context: AdApplyContext): AdUserRecord | undefined {
  const candidate: AdUserRecord = { ...blankUser(context), ...mapped.onCreate, ...mapped.attributes } as AdUserRecord
  fillEmpty(candidate, mapped)
  outcome.action = 'create'
  if (candidate.cn === null || candidate.cn === '') {
    if (!mapped.unique.some(entry => entry.target === 'cn')) return fail(outcome, 'MandatoryFieldsMissing', 'Cannot create the user: cn has no value. Send displayName (it becomes cn) or map cn.')
  }
  if (!place(candidate, candidate.parentDistinguishedName ?? context.defaultOu, outcome, context)) return undefined
  if (!pickUniqueValues(candidate, mapped, index, outcome, true)) return undefined
  if (candidate.sAMAccountName === null || candidate.sAMAccountName === '') {
    const generated = numbered([toSamAccountNameCandidate(candidate.cn!)], candidate, index)
    if (generated === undefined) return fail(outcome, 'EntryConflict', `No free sAMAccountName could be generated from cn '${candidate.cn}'.`)
    candidate.sAMAccountName = generated
  }
  if (!passesDirectoryRules(candidate, undefined, outcome, index, context)) return undefined
  outcome.modifiedProperties = [...diff(undefined, candidate), { displayName: 'distinguishedName', oldValue: null, newValue: distinguishedNameOf(candidate) }]
  succeed(outcome, { id: candidate.id, displayName: candidate.displayName ?? candidate.cn }, 'EntryExportAdd', `Created the user at ${distinguishedNameOf(candidate)}.`)
  return candidate
}

function update (existing: AdUserRecord, mapped: AdMappedUser, outcome: OperationOutcome, index: AdDirectoryIndex, context: AdApplyContext): AdUserRecord | undefined {
  const candidate: AdUserRecord = { ...existing, ...mapped.attributes } as AdUserRecord
  fillEmpty(candidate, mapped)
  outcome.action = 'update'
  outcome.targetId = existing.id
  outcome.targetDisplayName = existing.displayName ?? existing.cn
  if (mapped.attributes.parentDistinguishedName !== undefined && !place(candidate, candidate.parentDistinguishedName, outcome, context)) return undefined
  if (!pickUniqueValues(candidate, mapped, index, outcome, false)) return undefined
  const modified = diff(existing, candidate)
  const managerChanges = mapped.managerExternalId !== undefined && mapped.managerExternalId !== existing.managerExternalId
  outcome.action = !existing.accountDisabled && candidate.accountDisabled ? 'disable' : 'update'
  if (modified.length === 0 && !managerChanges) {
    return skipUnchanged(outcome)
  }
  if (!passesDirectoryRules(candidate, existing, outcome, index, context)) return undefined
  candidate.lastModifiedAt = context.now
  const [from, to] = [distinguishedNameOf(existing), distinguishedNameOf(candidate)]
  outcome.modifiedProperties = from === to ? modified : [...modified, { displayName: 'distinguishedName', oldValue: from, newValue: to }]
  const moved = existing.ouId !== candidate.ouId
  const renamed = existing.cn !== candidate.cn
  const what = moved && renamed ? `Moved and renamed the user to ${to}.` : moved ? `Moved the user to ${candidate.parentDistinguishedName}.` : renamed ? `Renamed the user to ${to}.` : outcome.action === 'disable' ? 'Disabled the user.' : 'Updated the user.'
  succeed(outcome, { id: candidate.id, displayName: existing.displayName ?? existing.cn }, 'EntryExportUpdate', what)
  return candidate
}

function disable (existing: AdUserRecord, outcome: OperationOutcome, context: AdApplyContext, description: string): AdUserRecord {
  const candidate: AdUserRecord = { ...existing, accountDisabled: true, lastModifiedAt: context.now }
  outcome.action = 'disable'
  outcome.modifiedProperties = [{ displayName: 'accountDisabled', oldValue: 'false', newValue: 'true' }, { displayName: 'userAccountControl', oldValue: '512', newValue: '514' }]
  succeed(outcome, { id: existing.id, displayName: existing.displayName ?? existing.cn }, 'EntryExportUpdate', description)
  return candidate
}

function hardDelete (existing: AdUserRecord, outcome: OperationOutcome): AdUserRecord {
  outcome.action = 'delete'
  outcome.modifiedProperties = [{ displayName: 'distinguishedName', oldValue: distinguishedNameOf(existing), newValue: null }]
  succeed(outcome, { id: existing.id, displayName: existing.displayName ?? existing.cn }, 'EntryExportDelete', `Deleted the user ${distinguishedNameOf(existing)}.`)
  return { ...existing, deleted: true }
}

function skipDelete (outcome: OperationOutcome, externalId: string): undefined {
  outcome.action = 'delete'
  outcome.status = 'skipped'
  outcome.reason = `No user matches '${externalId}'; nothing to delete.`
  outcome.steps.push(step('EntryExportSkipped', 'export', 'skipped', 'Nothing to delete.'))
  return undefined
}

function skipOutOfScope (outcome: OperationOutcome, existing: AdUserRecord | undefined): void {
  outcome.action = 'other'
  outcome.status = 'skipped'
  outcome.targetId = existing?.id ?? null
  outcome.targetDisplayName = existing === undefined ? null : existing.displayName ?? existing.cn
  outcome.reason = existing === undefined
    ? 'The record is out of the job\'s scope; no user was created.'
    : existing.accountDisabled ? 'The record is out of scope; the user is already disabled.' : 'The record is out of scope; the user is kept as it is (skipOutOfScopeDeletions).'
  outcome.steps.push(step('EntryExportSkipped', 'export', 'skipped', 'Out of scope: nothing was written.'))
}

/** Puts the user in the container named by `dn`, which must be the domain or an existing OU. */
function place (candidate: AdUserRecord, dn: string | null, outcome: OperationOutcome, context: AdApplyContext): boolean {
  if (dn === null || dn === '') {
    fail(outcome, 'MandatoryFieldsMissing', 'Cannot place the user: no mapping gives parentDistinguishedName and the directory has no default OU.')
    return false
  }
  const parent = parentKeyOf(dn)
  if ('problem' in parent) { fail(outcome, 'InvalidAttributeSyntax', parent.problem); return false }
  const container = context.containers.get(parent.key)
  if (container === undefined) {
    fail(outcome, 'NoSuchObject', `The parent container ${parent.canonical} does not exist in the directory: create the OU (POST /directories/{id}/organizationalUnits) or change the mapping of parentDistinguishedName.`)
    return false
  }
  candidate.ouId = container.ouId
  candidate.parentDistinguishedName = container.distinguishedName
  return true
}

/**
 * SelectUniqueValue targets: the first candidate free for this user (sAMAccountName
 * candidates first made valid for AD; when all are taken, the first is numbered, as AD
 * administrators' generators do). A user keeps a value it already holds.
 */
function pickUniqueValues (candidate: AdUserRecord, mapped: AdMappedUser, index: AdDirectoryIndex, outcome: OperationOutcome, creating: boolean): boolean {
  for (const { target, candidates, onCreateOnly } of mapped.unique) {
    if (onCreateOnly && !creating) continue
    const free = target === 'sAMAccountName'
      ? numbered(candidates.map(toSamAccountNameCandidate), candidate, index)
      : candidates.find(value => {
        const holder = target === 'userPrincipalName' ? index.holderOfUpn(value) : index.holderOfCn(candidate.ouId, value)
        return holder === undefined || holder.id === candidate.id
      })
    if (free === undefined) {
      fail(outcome, 'EntryConflict', `SelectUniqueValue for ${target}: every candidate is already taken (${candidates.map(value => `'${value}'`).join(', ')}).`)
      return false
    }
    candidate[target] = free
  }
  return true
}

/** The first free sAMAccountName among the candidates, then the first candidate numbered 1 … 999. */
function numbered (candidates: string[], user: AdUserRecord, index: AdDirectoryIndex): string | undefined {
  const valid = [...new Set(candidates.filter(name => name !== ''))]
  const isFree = (name: string): boolean => { const holder = index.holderOfSamAccountName(name); return holder === undefined || holder.id === user.id }
  const free = valid.find(isFree)
  if (free !== undefined || valid.length === 0) return free
  for (let n = 1; n <= MAX_NUMBER_SUFFIX; n++) {
    const name = withNumberSuffix(valid[0]!, n)
    if (isFree(name)) return name
  }
  return undefined
}

function passesDirectoryRules (candidate: AdUserRecord, existing: AdUserRecord | undefined, outcome: OperationOutcome, index: AdDirectoryIndex, context: AdApplyContext): boolean {
  const conflict = (reason: string): false => { fail(outcome, 'EntryConflict', reason); return false }
  if (candidate.cn === null || candidate.cn === '') { fail(outcome, 'MandatoryFieldsMissing', 'cn cannot be empty: it names the user in its OU.'); return false }
  if (candidate.cn.length > 64) { fail(outcome, 'InvalidAttributeSyntax', `cn '${candidate.cn}' is longer than AD's 64 characters.`); return false }
  const sam = candidate.sAMAccountName!
  if (sam !== existing?.sAMAccountName) {
    const problem = samAccountNameProblem(sam)
    if (problem !== undefined) { fail(outcome, 'InvalidAttributeSyntax', `sAMAccountName '${sam}': ${problem}`); return false }
  }
  const upn = candidate.userPrincipalName
  if (upn !== null && upn !== existing?.userPrincipalName) {
    const violation = checkAdUserPrincipalName(upn, context.domain)
    if (violation !== undefined) { fail(outcome, violation.errorCode, violation.reason); return false }
  }
  const samHolder = index.holderOfSamAccountName(sam)
  if (samHolder !== undefined && samHolder.id !== candidate.id) return conflict(`sAMAccountName '${sam}' is already used by ${distinguishedNameOf(samHolder)} (employeeID '${samHolder.employeeID ?? ''}').`)
  const upnHolder = upn === null ? undefined : index.holderOfUpn(upn)
  if (upnHolder !== undefined && upnHolder.id !== candidate.id) return conflict(`userPrincipalName '${upn}' is already used by ${distinguishedNameOf(upnHolder)} (employeeID '${upnHolder.employeeID ?? ''}').`)
  const cnHolder = index.holderOfCn(candidate.ouId, candidate.cn)
  if (cnHolder !== undefined && cnHolder.id !== candidate.id) return conflict(`${distinguishedNameOf(candidate)} already exists (employeeID '${cnHolder.employeeID ?? ''}'): cn must be unique within its OU.`)
  return true
}

function linkManager (user: AdUserRecord, mapped: AdMappedUser, index: AdDirectoryIndex, outcome: OperationOutcome): void {
  if (mapped.managerExternalId === undefined) return
  const before = user.managerId
  const previous = before === null ? undefined : index.byId(before)
  const beforeDn = before === null ? null : previous === undefined ? before : distinguishedNameOf(previous)
  user.managerExternalId = mapped.managerExternalId
  const manager = mapped.managerExternalId === null ? undefined : index.byEmployeeId(mapped.managerExternalId)
  user.managerId = manager !== undefined && manager.id !== user.id ? manager.id : null
  if (user.managerId !== before) outcome.modifiedProperties.push({ displayName: 'manager', oldValue: beforeDn, newValue: manager === undefined || user.managerId === null ? null : distinguishedNameOf(manager) })
  if (user.managerId === null && mapped.managerExternalId !== null) {
    outcome.steps.push(step('EntryReferenceResolution', 'referenceResolution', 'warning', `Manager '${mapped.managerExternalId}' is not provisioned yet; the link is made as soon as it arrives.`))
  }
}

function fillEmpty (candidate: AdUserRecord, mapped: AdMappedUser): void {
  for (const [attribute, value] of Object.entries(mapped.whenEmpty)) {
    const current = (candidate as unknown as Record<string, unknown>)[attribute]
    if (current === null || current === '' || current === undefined) (candidate as unknown as Record<string, unknown>)[attribute] = value
  }
}

function blankUser (context: AdApplyContext): AdUserRecord {
  const user: any = { id: randomGuid(), ouId: null, managerId: null, managerExternalId: null, createdByJobId: context.jobId, createdAt: context.now, lastModifiedAt: context.now, source: null }
  for (const attribute of AD_ATTRIBUTES) user[attribute] = null
  user.accountDisabled = false
  return user as AdUserRecord
}

function diff (before: AdUserRecord | undefined, after: AdUserRecord): ModifiedProperty[] {
  const modified: ModifiedProperty[] = []
  for (const attribute of AD_ATTRIBUTES) {
    const oldValue = before === undefined ? null : display(before, attribute)
    const newValue = display(after, attribute)
    if (oldValue !== newValue) modified.push({ displayName: attribute, oldValue, newValue })
  }
  if (before === undefined || before.accountDisabled !== after.accountDisabled) {
    modified.push({ displayName: 'userAccountControl', oldValue: before === undefined ? null : before.accountDisabled ? '514' : '512', newValue: after.accountDisabled ? '514' : '512' })
  }
  return modified
}

function display (user: AdUserRecord, attribute: AdAttributeName): string | null {
  const value = user[attribute]
  return value === null || value === undefined || value === '' ? null : String(value)
}
