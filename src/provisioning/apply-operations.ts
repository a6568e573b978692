import { v7 as timeOrderedUuid } from 'uuid'
import type { BulkOperation } from '../scim/types.js'
import { copyUserRecord, ENTRA_ATTRIBUTES, type EntraAttributeName, type EntraAttributeValues, type EntraUserRecord, type SourceRecord } from '../directory/entra/user.js'
import { checkUserPrincipalName, missingOnCreate } from '../directory/entra/rules.js'
import type { MappedUser } from '../mapping/apply-mappings.js'
import type { ModifiedProperty, OperationOutcome } from './outcome.js'
import { fail, hideRedacted, newOutcome, skipUnchanged, stage, step, succeed } from './outcome-steps.js'
import { DirectoryIndex } from './directory-index.js'

export interface PreparedOperation {
  op: BulkOperation
  mapped: MappedUser
  /** Where the record comes from; kept on the user it creates or matches, for a later full restart. */
  source?: SourceRecord
  /** Part of a full restart: the user's last record mapped again. Logged only when it changes something. */
  resync?: boolean
}

export interface ApplyContext {
  jobId: string
  verifiedDomains: string[]
  now: Date
  /**
   * Deletes and disables still allowed in this cycle by the delete threshold (Infinity when
   * it is off). Past it, such operations are staged: not applied, logged as stagedDelete.
   */
  deleteAllowance?: number
  /** A provisioned user whose record falls out of scope is kept as it is instead of disabled. */
  skipOutOfScopeDeletions?: boolean
}

/** A delete or disable held back by the delete threshold. */
export interface StagedOperation {
  /** Position in the prepared operations. */
  position: number
  userId: string
  action: 'delete' | 'disable'
}

export interface ApplyResult {
  outcomes: OperationOutcome[]
  /** Final state of every user this request changed, to be written in one statement. */
  changed: EntraUserRecord[]
  /** Users that came into existence (created or restored): reports waiting for them get linked. */
  arrivedIds: string[]
  deletedIds: string[]
  /** Deletes and disables applied (they count against the delete threshold). */
  appliedDeletes: number
  staged: StagedOperation[]
  /** Users matched by a record that changed nothing: only where their last record is changes. */
  unchangedSources: Array<{ id: string, source: SourceRecord }>
}

/**
 * Applies a request's operations, in order, to the users loaded for it. Pure and in memory:
 * each operation sees the effect of the ones before it (the same externalId twice in one
 * request is applied in order), and nothing touches the database until the caller writes
 * the result in a few batched statements.
 */
export function applyOperations (prepared: PreparedOperation[], loaded: EntraUserRecord[], context: ApplyContext): ApplyResult {
  const index = new DirectoryIndex(loaded)
  const changed = new Map<string, EntraUserRecord>()
  const lastOutcomeFor = new Map<string, OperationOutcome>()
  const outcomes: OperationOutcome[] = []
  const staged: StagedOperation[] = []
  let allowance = context.deleteAllowance ?? Infinity
  let appliedDeletes = 0

  const unchangedSources = new Map<string, SourceRecord>()
  for (const [position, { op, mapped, source, resync }] of prepared.entries()) {
    const outcome = newOutcome(op, mapped)
    outcomes.push(outcome)
    if (resync === true && !stillLastRecord(index, mapped, source)) {
      // A newer record of the user was applied since the restart (or the user is gone): it wins.
      outcome.quiet = true
      continue
    }
    if (mapped.ignoredAttributes.length > 0) {
      outcome.steps.push(step('EntryImportIgnoredAttributes', 'import', 'warning',
        `Not declared in the job's extension attributes, so not mapped: ${mapped.ignoredAttributes.join(', ')}.`))
    }
    if (mapped.error !== undefined) {
      fail(outcome, mapped.error.errorCode, mapped.error.reason)
      continue
    }
    const match = findMatch(mapped, index)
    const existing = match?.user
    const live = existing !== undefined && existing.deletedAt === null
    outcome.steps.push(step('EntrySynchronizationAdd', 'matching', live ? 'success' : 'skipped', describeMatch(mapped, match, live)))
    if (match === undefined && mapped.matchKeys.length === 0 && op.method !== 'DELETE') {
      fail(outcome, 'MatchingAttributeMissing', 'The record has no value for any matching attribute of the job\'s schema, so it cannot be matched to a user.')
      continue
    }
    if (mapped.outOfScope && op.method !== 'DELETE') {
      outcome.steps.push(step('EntryScoping', 'scoping', 'skipped', 'The record is out of the job\'s scoping filter.'))
      if (!live || !existing.accountEnabled || context.skipOutOfScopeDeletions === true) {
        skipOutOfScope(outcome, existing, live)
        continue
      }
    }

    const deletion = live ? deletionKind(op, existing, mapped) : undefined
    if (deletion !== undefined) {
      if (allowance <= 0) {
        stage(outcome, existing!, deletion)
        staged.push({ position, userId: existing!.id, action: deletion })
        continue
      }
    }

    let result: EntraUserRecord | undefined
    if (op.method === 'DELETE') result = live ? softDelete(existing, outcome, context) : skipDelete(outcome, op)
    else if (mapped.outOfScope) result = disableOutOfScope(existing!, outcome, context)
    else if (live) result = update(existing, mapped, outcome, index, context)
    else result = create(existing, mapped, outcome, index, context)
    if (result !== undefined && deletion !== undefined) {
      allowance--
      appliedDeletes++
    }
    hideRedacted(outcome, mapped.redacted)
    if (op.method === 'POST' && source !== undefined) {
      if (result !== undefined) {
        result.source = source
        unchangedSources.delete(result.id)
      } else if (live && outcome.status === 'skipped' && !changed.has(existing.id)) {
        unchangedSources.set(existing.id, source)
      }
    }
    if (resync === true && result === undefined && outcome.status === 'skipped') outcome.quiet = true
    if (result === undefined) continue
    if (op.method !== 'DELETE') linkManager(result, mapped, index, outcome)
    index.put(result)
    changed.set(result.id, result)
    lastOutcomeFor.set(result.id, outcome)
  }

  // A report processed before its manager in the same request is linked now.
  for (const user of changed.values()) {
    if (user.deletedAt !== null || user.managerExternalId === null || user.managerId !== null) continue
    const manager = index.liveByEmployeeId(user.managerExternalId)
    if (manager === undefined || manager.id === user.id) continue
    user.managerId = manager.id
    const outcome = lastOutcomeFor.get(user.id)!
    outcome.modifiedProperties.push({ displayName: 'manager', oldValue: null, newValue: manager.id })
    outcome.steps.push(step('EntryReferenceResolution', 'referenceResolution', 'success', `Linked manager '${user.managerExternalId}' provisioned by a later operation.`))
  }

  // Judged on the request's end state: a user created and deleted in the same request never
  // arrived (but reports linked to it meanwhile must be unlinked); one deleted and restored
  // was never gone.
  const before = new Map(loaded.map(user => [user.id, user]))
  const arrivedIds: string[] = []
  const deletedIds: string[] = []
  for (const user of changed.values()) {
    const wasLive = before.get(user.id)?.deletedAt === null
    if (user.deletedAt === null && !wasLive) arrivedIds.push(user.id)
    if (user.deletedAt !== null) deletedIds.push(user.id)
  }
  return { outcomes, changed: [...changed.values()], arrivedIds, deletedIds, appliedDeletes, staged, unchangedSources: [...unchangedSources].map(([id, source]) => ({ id, source })) }
}

/** Whether the operation would delete or disable a live user (what the delete threshold counts). */
function deletionKind (op: BulkOperation, existing: EntraUserRecord | undefined, mapped: MappedUser): 'delete' | 'disable' | undefined {
  if (existing === undefined) return undefined
  if (op.method === 'DELETE') return 'delete'
  return existing.accountEnabled && (mapped.outOfScope || mapped.attributes.accountEnabled === false) ? 'disable' : undefined
}

/** Whether a resync record is still the user's last one: the same source, the user still live. */
function stillLastRecord (index: DirectoryIndex, mapped: MappedUser, source: SourceRecord | undefined): boolean {
  const user = findMatch(mapped, index)?.user
  return user !== undefined && user.deletedAt === null && source !== undefined &&
    user.source?.requestId === source.requestId && user.source.operationIndex === source.operationIndex
}

/** The user the record matches: the first matching attribute, by precedence, that finds one. */
function findMatch (mapped: MappedUser, index: DirectoryIndex): { user: EntraUserRecord, attribute: string, value: string } | undefined {
  for (const { attribute, value } of mapped.matchKeys) {
    const user = attribute === 'employeeId' ? index.byEmployeeId(value) : attribute === 'userPrincipalName' ? index.holderOfUpn(value) : index.holderOfMailNickname(value)
    if (user !== undefined) return { user, attribute, value }
  }
  return undefined
}

function describeMatch (mapped: MappedUser, match: { attribute: string, value: string } | undefined, live: boolean): string {
  if (match !== undefined) return live ? `Matched a user with ${match.attribute} '${match.value}'.` : `Matched a deleted user with ${match.attribute} '${match.value}'.`
  if (mapped.matchKeys.length === 0) return 'The record has no value for a matching attribute.'
  return `No user with ${mapped.matchKeys.map(key => `${key.attribute} '${key.value}'`).join(' or ')} exists.`
}

function skipOutOfScope (outcome: OperationOutcome, existing: EntraUserRecord | undefined, live: boolean): undefined {
  outcome.action = 'other'
  outcome.status = 'skipped'
  outcome.targetId = live ? existing!.id : null
  outcome.targetDisplayName = live ? existing!.displayName : null
  outcome.reason = live
    ? (existing!.accountEnabled ? 'The record is out of scope; the user is kept as it is (skipOutOfScopeDeletions).' : 'The record is out of scope; the user is already disabled.')
    : 'The record is out of the job\'s scope; no user was created.'
  outcome.steps.push(step('EntryExportSkipped', 'export', 'skipped', 'Out of scope: nothing was written.'))
  return undefined
}

/** A user provisioned earlier whose record fell out of scope is disabled, as Entra deprovisions it. */
function disableOutOfScope (existing: EntraUserRecord, outcome: OperationOutcome, context: ApplyContext): EntraUserRecord {
  const candidate = copyUserRecord(existing)
  candidate.accountEnabled = false
  candidate.lastModifiedAt = context.now
  outcome.action = 'disable'
  outcome.modifiedProperties = [{ displayName: 'accountEnabled', oldValue: 'true', newValue: 'false' }]
  succeed(outcome, candidate, 'EntryExportUpdate', 'Disabled the user: its record is out of the job\'s scope.')
  return candidate
}

function create (previous: EntraUserRecord | undefined, mapped: MappedUser, outcome: OperationOutcome, index: DirectoryIndex, context: ApplyContext): EntraUserRecord | undefined {
  // A soft-deleted user sent again is restored, keeping its object id.
  const candidate = Object.assign(copyUserRecord(previous ?? blankUser(context)), mapped.onCreate, mapped.attributes)
  candidate.deletedAt = null
  candidate.lastModifiedAt = context.now
  fillEmpty(candidate, mapped)
  if (!pickUniqueValues(candidate, mapped, index, outcome, true)) return undefined
  outcome.action = previous === undefined ? 'create' : 'update'
  const missing = missingOnCreate(candidate)
  if (missing.length > 0) {
    return fail(outcome, 'MandatoryFieldsMissing', `Cannot create the user: required attribute(s) ${missing.join(', ')} have no value. ` +
      'Send userName (it becomes userPrincipalName and mailNickname) and displayName.')
  }
  if (!passesDirectoryRules(candidate, undefined, outcome, index, context)) return undefined
  outcome.modifiedProperties = diff(previous, candidate)
  if (previous !== undefined) {
    outcome.modifiedProperties.push({ displayName: 'deletedDateTime', oldValue: previous.deletedAt!.toISOString(), newValue: null })
  }
  succeed(outcome, candidate, previous === undefined ? 'EntryExportAdd' : 'EntryExportUpdate', previous === undefined ? 'Created the user.' : 'Restored the soft-deleted user.')
  return candidate
}

function update (existing: EntraUserRecord, mapped: MappedUser, outcome: OperationOutcome, index: DirectoryIndex, context: ApplyContext): EntraUserRecord | undefined {
  const candidate = Object.assign(copyUserRecord(existing), mapped.attributes)
  fillEmpty(candidate, mapped)
  if (!pickUniqueValues(candidate, mapped, index, outcome, false)) return undefined
  const modified = diff(existing, candidate)
  const managerChanges = mapped.managerExternalId !== undefined && mapped.managerExternalId !== existing.managerExternalId
  outcome.action = existing.accountEnabled && candidate.accountEnabled === false ? 'disable' : 'update'
  outcome.targetId = existing.id
  outcome.targetDisplayName = existing.displayName
  if (modified.length === 0 && !managerChanges) {
    return skipUnchanged(outcome)
  }
  if (!passesDirectoryRules(candidate, existing, outcome, index, context)) return undefined
  candidate.lastModifiedAt = context.now
  outcome.modifiedProperties = modified
  succeed(outcome, candidate, 'EntryExportUpdate', outcome.action === 'disable' ? 'Disabled the user.' : 'Updated the user.')
  return candidate
}

function softDelete (existing: EntraUserRecord, outcome: OperationOutcome, context: ApplyContext): EntraUserRecord {
  const candidate = copyUserRecord(existing)
  candidate.deletedAt = context.now
  candidate.lastModifiedAt = context.now
  outcome.action = 'delete'
  outcome.modifiedProperties = [{ displayName: 'deletedDateTime', oldValue: null, newValue: context.now.toISOString() }]
  succeed(outcome, candidate, 'EntryExportDelete', 'Soft-deleted the user; it can be restored by sending it again.')
  return candidate
}

function skipDelete (outcome: OperationOutcome, op: BulkOperation): undefined {
  outcome.action = 'delete'
  outcome.status = 'skipped'
  outcome.reason = `No user matches '${op.data.externalId}' (or it is already deleted); nothing to delete.`
  outcome.steps.push(step('EntryExportSkipped', 'export', 'skipped', 'Nothing to delete.'))
  return undefined
}

function passesDirectoryRules (candidate: EntraUserRecord, existing: EntraUserRecord | undefined, outcome: OperationOutcome, index: DirectoryIndex, context: ApplyContext): boolean {
  const upn = candidate.userPrincipalName
  if (upn !== null && upn !== existing?.userPrincipalName) {
    const violation = checkUserPrincipalName(upn, context.verifiedDomains)
    if (violation !== undefined) { fail(outcome, violation.errorCode, violation.reason); return false }
  }
  const upnHolder = upn === null ? undefined : index.holderOfUpn(upn)
  if (upnHolder !== undefined && upnHolder.id !== candidate.id) {
    fail(outcome, 'EntryConflict', `userPrincipalName '${upn}' is already used by user ${upnHolder.id} (employeeId '${upnHolder.employeeId ?? ''}').`)
    return false
  }
  const nickname = candidate.mailNickname
  const nicknameHolder = nickname === null ? undefined : index.holderOfMailNickname(nickname)
  if (nicknameHolder !== undefined && nicknameHolder.id !== candidate.id) {
    fail(outcome, 'EntryConflict', `mailNickname '${nickname}' is already used by user ${nicknameHolder.id} (employeeId '${nicknameHolder.employeeId ?? ''}').`)
    return false
  }
  return true
}

function linkManager (user: EntraUserRecord, mapped: MappedUser, index: DirectoryIndex, outcome: OperationOutcome): void {
  if (mapped.managerExternalId === undefined) return
  const before = user.managerId
  user.managerExternalId = mapped.managerExternalId
  const manager = mapped.managerExternalId === null ? undefined : index.liveByEmployeeId(mapped.managerExternalId)
  user.managerId = manager !== undefined && manager.id !== user.id ? manager.id : null
  if (user.managerId !== before) outcome.modifiedProperties.push({ displayName: 'manager', oldValue: before, newValue: user.managerId })
  if (user.managerId === null && mapped.managerExternalId !== null) {
    outcome.steps.push(step('EntryReferenceResolution', 'referenceResolution', 'warning',
      `Manager '${mapped.managerExternalId}' is not provisioned yet; the link is made as soon as it arrives.`))
  }
}

/**
 * SelectUniqueValue: the first candidate that no other live user holds (in the directory or
 * earlier in this batch). A user keeps a value it already holds.
 */
function pickUniqueValues (candidate: EntraUserRecord, mapped: MappedUser, index: DirectoryIndex, outcome: OperationOutcome, creating: boolean): boolean {
  for (const { target, candidates, onCreateOnly } of mapped.unique) {
    if (onCreateOnly && !creating) continue
    const holderOf = (value: string): EntraUserRecord | undefined => target === 'userPrincipalName' ? index.holderOfUpn(value) : index.holderOfMailNickname(value)
    const free = candidates.find(value => { const holder = holderOf(value); return holder === undefined || holder.id === candidate.id })
    if (free === undefined) {
      fail(outcome, 'EntryConflict', `SelectUniqueValue for ${target}: every candidate is already taken (${candidates.map(value => `'${value}'`).join(', ')}).`)
      return false
    }
    candidate[target] = free
  }
  return true
}

/** None mappings: their default value goes into a target that is empty. */
function fillEmpty (candidate: EntraUserRecord, mapped: MappedUser): void {
  for (const [attribute, value] of Object.entries(mapped.whenEmpty) as Array<[EntraAttributeName, unknown]>) {
    const current = candidate[attribute]
    if (current === null || current === '' || (Array.isArray(current) && current.length === 0)) (candidate as unknown as Record<string, unknown>)[attribute] = value
  }
}

function blankUser (context: ApplyContext): EntraUserRecord {
  const user = copyUserRecord(BLANK_USER)
  // Object ids are GUIDs as in Entra; time-ordered so a bulk load appends to the key's index.
  user.id = timeOrderedUuid()
  user.businessPhones = []
  user.createdByJobId = context.jobId
  user.createdAt = context.now
  user.lastModifiedAt = context.now
  return user
}

/** What a user holds before its first record is applied. */
const BLANK_USER: EntraUserRecord = (() => {
  const user: any = { id: '', managerId: null, managerExternalId: null, createdByJobId: null, createdAt: null, lastModifiedAt: null, deletedAt: null, source: null }
  for (const attribute of ENTRA_ATTRIBUTES) user[attribute] = null
  user.accountEnabled = true
  user.businessPhones = []
  return user
})()

function diff (before: EntraAttributeValues | undefined, after: EntraAttributeValues): ModifiedProperty[] {
  const modified: ModifiedProperty[] = []
  for (const attribute of ENTRA_ATTRIBUTES) {
    const oldValue = before === undefined ? null : display(before, attribute)
    const newValue = display(after, attribute)
    if (oldValue !== newValue) modified.push({ displayName: attribute, oldValue, newValue })
  }
  return modified
}

function display (values: EntraAttributeValues, attribute: EntraAttributeName): string | null {
  const value = values[attribute]
  if (value === null || value === undefined) return null
  if (Array.isArray(value)) return value.length === 0 ? null : JSON.stringify(value)
  return String(value)
}
