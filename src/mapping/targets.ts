import { AD_ATTRIBUTES } from '../directory/ad/user.js'
import { ENTRA_ATTRIBUTES } from '../directory/entra/user.js'
import { text, truth, values, type Value } from '../expressions/values.js'

export type TemplateId = 'API2AAD' | 'API2AD'

/**
 * What a template's directory offers mappings: the attributes they may write, those users
 * can be matched on (indexed ones only, so matching stays one index probe per key), those
 * kept unique (where SelectUniqueValue makes sense), and how a value becomes the
 * attribute's type.
 */
export interface TargetSchema {
  templateId: TemplateId
  /** Mappable targets, `manager` included. */
  attributes: ReadonlySet<string>
  matchable: readonly string[]
  unique: readonly string[]
  /** The value in the attribute's type, or an Error saying why it cannot be. */
  convert: (target: string, value: Value) => unknown
}

const ENTRA: TargetSchema = {
  templateId: 'API2AAD',
  attributes: new Set([...ENTRA_ATTRIBUTES, 'manager']),
  matchable: ['employeeId', 'userPrincipalName', 'mailNickname'],
  unique: ['userPrincipalName', 'mailNickname'],
  convert: (target, value) => {
    if (target === 'accountEnabled') return truth(value) ?? new Error(`accountEnabled takes True or False, not ${JSON.stringify(text(value))}`)
    if (target === 'businessPhones') return values(value)
    return text(value)
  }
}

const AD: TargetSchema = {
  templateId: 'API2AD',
  attributes: new Set([...AD_ATTRIBUTES, 'manager']),
  matchable: ['employeeID', 'userPrincipalName', 'sAMAccountName'],
  unique: ['sAMAccountName', 'userPrincipalName', 'cn'],
  convert: (target, value) => {
    if (target === 'accountDisabled') return truth(value) ?? new Error(`accountDisabled takes True or False, not ${JSON.stringify(text(value))}`)
    if (target === 'accountExpires') {
      // A Windows file time (100-ns intervals since 1601), as NumFromDate gives it; 0 or the largest Int64 mean never.
      const digits = text(value)
      return digits !== null && /^\d{1,19}$/.test(digits) && BigInt(digits) <= 9223372036854775807n
        ? digits
        : new Error(`accountExpires takes a Windows file time such as NumFromDate gives, not ${JSON.stringify(digits)}`)
    }
    return text(value)
  }
}

export function targetSchemaFor (templateId: string): TargetSchema {
  return templateId === 'API2AD' ? AD : ENTRA
}
