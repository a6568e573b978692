/**
 * sAMAccountName, the pre-Windows 2000 logon name: at most 20 characters so that older
 * clients can still log on, none of the characters Windows reserves in account names, and
 * not only dots or spaces.
 */
export const SAM_ACCOUNT_NAME_MAX_LENGTH = 20

const REFUSED_CHARACTERS = '"/\\[]:;|=,+*?<>'

const isRefused = (character: string): boolean => REFUSED_CHARACTERS.includes(character)
const isControl = (character: string): boolean => character.codePointAt(0)! < 0x20 || character === '\u007f'

/** Why `value` cannot be a sAMAccountName, as a sentence; undefined when it can. */
export function samAccountNameProblem (value: string): string | undefined {
  const characters = Array.from(value)
  if (characters.length === 0) return 'sAMAccountName is empty.'
  if (characters.length > SAM_ACCOUNT_NAME_MAX_LENGTH) {
    return `sAMAccountName '${value}' has ${characters.length} characters; at most ${SAM_ACCOUNT_NAME_MAX_LENGTH} are allowed.`
  }
  const refused = characters.findIndex(isRefused)
  if (refused >= 0) {
    return `sAMAccountName '${value}' contains '${characters[refused]}' (character ${refused + 1}); none of ${REFUSED_CHARACTERS} is allowed.`
  }
  const control = characters.findIndex(isControl)
  if (control >= 0) return `sAMAccountName contains a control character (character ${control + 1}).`
  if (characters.every(character => character === '.' || character === ' ')) {
    return `sAMAccountName '${value}' consists only of dots and spaces.`
  }
  return undefined
}

/**
 * A generated value made into a usable sAMAccountName: refused characters, control
 * characters and spaces removed, cut to the maximum length, trailing dots dropped (Windows
 * trims them from logon names, so two names would differ only by them). May be '' when
 * nothing usable is left.
 */
export function toSamAccountNameCandidate (value: string): string {
  const kept = Array.from(value).filter(character => !isRefused(character) && !isControl(character) && !/\s/u.test(character))
  return kept.slice(0, SAM_ACCOUNT_NAME_MAX_LENGTH).join('').replace(/\.+$/, '')
}

/** `base` followed by `n`, the base cut so that the whole stays within the maximum length. */
export function withNumberSuffix (base: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`the suffix must be a non-negative integer, got ${n}`)
  const digits = String(n)
  if (digits.length >= SAM_ACCOUNT_NAME_MAX_LENGTH) throw new RangeError(`the suffix ${digits} leaves no room for a name`)
  return Array.from(base).slice(0, SAM_ACCOUNT_NAME_MAX_LENGTH - digits.length).join('') + digits
}
