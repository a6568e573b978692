import type { EntraUserRecord } from '../directory/entra/user.js'

/**
 * The users a request may touch or collide with, indexed the ways the rules look them up:
 * by employeeId (matching, manager references) and by the values that must be unique among
 * live users (userPrincipalName and mailNickname, compared case-insensitively).
 */
export class DirectoryIndex {
  private readonly employees = new Map<string, EntraUserRecord>()
  private readonly upns = new Map<string, EntraUserRecord>()
  private readonly nicknames = new Map<string, EntraUserRecord>()

  constructor (users: EntraUserRecord[]) {
    for (const user of users) this.put(user)
  }

  byEmployeeId (employeeId: string): EntraUserRecord | undefined {
    return this.employees.get(employeeId)
  }

  liveByEmployeeId (employeeId: string): EntraUserRecord | undefined {
    const user = this.employees.get(employeeId)
    return user?.deletedAt === null ? user : undefined
  }

  holderOfUpn (upn: string): EntraUserRecord | undefined {
    return this.upns.get(upn.toLowerCase())
  }

  holderOfMailNickname (nickname: string): EntraUserRecord | undefined {
    return this.nicknames.get(nickname.toLowerCase())
  }

  /** Records the user's new state, dropping the unique values its previous state held. */
  put (user: EntraUserRecord): void {
    const previous = user.employeeId === null ? undefined : this.employees.get(user.employeeId)
    if (previous !== undefined) this.forgetUniqueValues(previous)
    if (user.employeeId !== null) this.employees.set(user.employeeId, user)
    if (user.deletedAt !== null) return
    if (user.userPrincipalName !== null) this.upns.set(user.userPrincipalName.toLowerCase(), user)
    if (user.mailNickname !== null) this.nicknames.set(user.mailNickname.toLowerCase(), user)
  }

  private forgetUniqueValues (user: EntraUserRecord): void {
    if (user.userPrincipalName !== null && this.upns.get(user.userPrincipalName.toLowerCase())?.id === user.id) this.upns.delete(user.userPrincipalName.toLowerCase())
    if (user.mailNickname !== null && this.nicknames.get(user.mailNickname.toLowerCase())?.id === user.id) this.nicknames.delete(user.mailNickname.toLowerCase())
  }
}
