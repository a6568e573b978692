import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Test } from 'tap'
import { parse } from 'csv-parse/sync'
import { FIXTURES, type StoredUser } from './helpers.js'

export type CsvRecord = Record<string, string>

export function readFixture (name: string): CsvRecord[] {
  return parse(readFileSync(path.join(FIXTURES, name)), { columns: true, bom: true }) as CsvRecord[]
}

/**
 * What the directory must hold after the rows are applied in file order: per WorkerID, the
 * last non-empty value of every column (an empty cell never clears anything), the manager
 * linked when the manager's WorkerID was uploaded too.
 */
export function expectedUsers (records: CsvRecord[]): Map<string, Omit<StoredUser, 'pendingManager'>> {
  const users = new Map<string, Omit<StoredUser, 'pendingManager'>>()
  const keep = (previous: string | null | undefined, value: string): string | null => value !== '' ? value : previous ?? null
  for (const r of records) {
    const before = users.get(r.WorkerID!)
    users.set(r.WorkerID!, {
      employeeId: r.WorkerID!,
      userPrincipalName: `${r.UserID!}@contoso.com`,
      displayName: keep(before?.displayName, r.FullName!)!,
      givenName: keep(before?.givenName, r.FirstName!)!,
      surname: keep(before?.surname, r.LastName!)!,
      accountEnabled: r.WorkerStatus === 'Active',
      jobTitle: keep(before?.jobTitle, r.JobTitle!),
      department: keep(before?.department, r.Department!),
      companyName: keep(before?.companyName, r.Company!),
      city: keep(before?.city, r.City!),
      country: keep(before?.country, r.CountryCode!),
      streetAddress: keep(before?.streetAddress, r.StreetAddress!),
      postalCode: keep(before?.postalCode, r.ZipCode!),
      businessPhones: r.OfficePhone !== '' ? [r.OfficePhone!] : before?.businessPhones ?? [],
      employeeType: keep(before?.employeeType, r.WorkerType!),
      managerEmployeeId: r.ManagerID !== '' ? r.ManagerID! : before?.managerEmployeeId ?? null
    })
  }
  for (const user of users.values()) if (user.managerEmployeeId !== null && !users.has(user.managerEmployeeId)) user.managerEmployeeId = null
  return users
}

export function compareDirectory (t: Test, actual: Map<string, StoredUser>, expected: ReturnType<typeof expectedUsers>): void {
  t.equal(actual.size, expected.size, 'one user per distinct WorkerID')
  let mismatches = 0
  for (const [id, user] of expected) {
    const { pendingManager, ...stored } = actual.get(id) ?? ({} as StoredUser)
    void pendingManager
    if (JSON.stringify(stored) !== JSON.stringify(user)) {
      if (mismatches++ < 3) t.same(stored, user, `user ${id}`)
    }
  }
  t.equal(mismatches, 0, 'every user has the attributes of its last rows and its manager')
}
