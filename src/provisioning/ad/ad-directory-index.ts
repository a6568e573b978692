import type { AdUserRecord } from '../../directory/ad/user.js'

/**
 * The AD users a batch may touch or collide with, indexed the ways the rules look them up:
 * by employeeID (matching, manager references) and by the values AD keeps unique —
 * sAMAccountName and userPrincipalName in the domain, cn within its container — compared
 * case-insensitively as AD does.
 */
export class AdDirectoryIndex {
  private readonly users = new Map<string, AdUserRecord>()
  private readonly employees = new Map<string, AdUserRecord>()
  private readonly sams = new Map<string, AdUserRecord>()
  private readonly upns = new Map<string, AdUserRecord>()
  private readonly relativeNames = new Map<string, AdUserRecord>()

  constructor (users: AdUserRecord[]) {
    for (const user of users) this.put(user)
  }

  byId (id: string): AdUserRecord | undefined {
    return this.users.get(id)
  }

  byEmployeeId (employeeId: string): AdUserRecord | undefined {
    return this.employees.get(employeeId)
  }

  holderOfSamAccountName (name: string): AdUserRecord | undefined {
    return this.sams.get(name.toLowerCase())
  }

  holderOfUpn (upn: string): AdUserRecord | undefined {
    return this.upns.get(upn.toLowerCase())
  }

  holderOfCn (ouId: string | null, cn: string): AdUserRecord | undefined {
    return this.relativeNames.get(rdnKey(ouId, cn))
  }

  /** Records the user's new state (or its deletion), dropping what its previous state held. */
  put (user: AdUserRecord): void {
    const previous = this.users.get(user.id)
    if (previous !== undefined) this.forget(previous)
    if (user.deleted === true) { this.users.delete(user.id); return }
    this.users.set(user.id, user)
    if (user.employeeID !== null) this.employees.set(user.employeeID, user)
    if (user.sAMAccountName !== null) this.sams.set(user.sAMAccountName.toLowerCase(), user)
    if (user.userPrincipalName !== null) this.upns.set(user.userPrincipalName.toLowerCase(), user)
    if (user.cn !== null) this.relativeNames.set(rdnKey(user.ouId, user.cn), user)
  }

  private forget (user: AdUserRecord): void {
    const drop = (map: Map<string, AdUserRecord>, key: string | null): void => { if (key !== null && map.get(key)?.id === user.id) map.delete(key) }
    drop(this.employees, user.employeeID)
    drop(this.sams, user.sAMAccountName?.toLowerCase() ?? null)
    drop(this.upns, user.userPrincipalName?.toLowerCase() ?? null)
    drop(this.relativeNames, user.cn === null ? null : rdnKey(user.ouId, user.cn))
  }
}

function rdnKey (ouId: string | null, cn: string): string {
  return `${ouId ?? ''}/${cn.toLowerCase()}`
}
