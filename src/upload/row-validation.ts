import type { TargetPath } from './target-path.js'
import type { Scalar } from './value-types.js'

/** Why a row is not sent: `row` as in the file (the header is row 1), the column and attribute concerned. */
export interface RowProblem {
  row: number
  column?: string
  attribute?: string
  reason: string
}

/** Entra signs users in with local@verified-domain; anything else fails to create. */
const USER_NAME = /^[^@\s]+@[^@\s.][^@\s]*\.[^@\s.]+$/

export function userNameProblem (userName: string): string | undefined {
  if (USER_NAME.test(userName)) return undefined
  return `${JSON.stringify(userName)} is not local@domain; users need a userName such as jdoe@contoso.com ` +
    '(build it with a template: {"template": "{UserID}@contoso.com"})'
}

/** What the service would refuse in one converted value: a text too long, or text that was not UTF-8. */
export function valueProblem (target: TargetPath, value: Scalar): string | undefined {
  if (typeof value !== 'string') return undefined
  if (value.includes('\uFFFD')) return `${JSON.stringify(value)} holds bytes that are not UTF-8: save the file as UTF-8 (in Excel: "CSV UTF-8")`
  const limit = target.expected?.maxLength
  if (limit !== undefined && value.length > limit) return `is ${value.length} characters long; ${target.text} takes at most ${limit}`
  return undefined
}
