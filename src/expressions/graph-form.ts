import type { ExpressionNode } from './syntax.js'

/** Graph's attributeMappingSource: how parseExpression shows a parsed expression. */
export interface AttributeMappingSource {
  type: 'Function' | 'Attribute' | 'Constant'
  name: string | null
  expression: string | null
  parameters: Array<{ key: string, value: AttributeMappingSource }>
}

/** Parameter names as the function catalogue spells them; extra arguments of a variadic function continue the last name. */
const PARAMETER_NAMES: Record<string, string[]> = {
  Append: ['source', 'suffix'],
  AppRoleAssignmentsComplex: ['source'],
  BitAnd: ['value1', 'value2'],
  CBool: ['expression'],
  CDate: ['expression'],
  Coalesce: ['source'],
  ConvertToBase64: ['source'],
  ConvertToUTF8Hex: ['source'],
  Count: ['attribute'],
  CStr: ['value'],
  DateAdd: ['interval', 'value', 'dateTime'],
  DateDiff: ['interval', 'date1', 'date2'],
  DateFromNum: ['value'],
  DefaultDomain: [],
  FormatDateTime: ['source', 'dateTimeStyles', 'inputFormat', 'outputFormat'],
  Guid: [],
  IgnoreFlowIfNullOrEmpty: ['expression'],
  IIF: ['condition', 'valueIfTrue', 'valueIfFalse'],
  InStr: ['value1', 'value2', 'start', 'compareType'],
  IsNull: ['expression'],
  IsNullOrEmpty: ['expression'],
  IsPresent: ['expression'],
  IsString: ['expression'],
  Item: ['attribute', 'index'],
  Join: ['separator', 'source'],
  Left: ['source', 'numChars'],
  Mid: ['source', 'start', 'length'],
  NormalizeDiacritics: ['source'],
  Not: ['source'],
  Now: [],
  NumFromDate: ['value'],
  PCase: ['source', 'wordSeparators'],
  RandomString: ['length', 'minimumNumbers', 'minimumSpecialCharacters', 'minimumCapital', 'minimumLowerCase', 'charactersToAvoid'],
  Redact: ['source'],
  RemoveDuplicates: ['attribute'],
  Replace: ['source', 'oldValue', 'regexPattern', 'regexGroupName', 'replacementValue', 'replacementAttributeName', 'template'],
  SelectUniqueValue: ['uniqueValueRule'],
  SingleAppRoleAssignment: ['source'],
  Split: ['source', 'delimiter'],
  StripSpaces: ['source'],
  Switch: ['source', 'defaultValue', 'key', 'value'],
  ToLower: ['source', 'culture'],
  ToUpper: ['source', 'culture'],
  Word: ['string', 'wordNumber', 'delimiters']
}

function parameterName (functionName: string, index: number): string {
  const names = PARAMETER_NAMES[functionName] ?? []
  if (index < names.length) return names[index]!
  // Variadic: Coalesce source2, Join source2…, Switch key2/value2…, SelectUniqueValue uniqueValueRule2…
  if (functionName === 'Switch') return `${index % 2 === 0 ? 'key' : 'value'}${Math.floor(index / 2)}`
  return `${names.at(-1) ?? 'argument'}${index - names.length + 2}`
}

export function toAttributeMappingSource (node: ExpressionNode): AttributeMappingSource {
  switch (node.type) {
    case 'Attribute': return { type: 'Attribute', name: node.name, expression: null, parameters: [] }
    case 'Constant': return { type: 'Constant', name: node.value, expression: null, parameters: [] }
    case 'Number': return { type: 'Constant', name: String(node.value), expression: null, parameters: [] }
    case 'Identifier': return { type: 'Constant', name: node.name, expression: null, parameters: [] }
    case 'Comparison': return {
      type: 'Function',
      name: node.operator,
      expression: null,
      parameters: [{ key: 'left', value: toAttributeMappingSource(node.left) }, { key: 'right', value: toAttributeMappingSource(node.right) }]
    }
    case 'Function': return {
      type: 'Function',
      name: node.name,
      expression: null,
      parameters: node.args.flatMap((arg, index) => arg === null ? [] : [{ key: parameterName(node.name, index), value: toAttributeMappingSource(arg) }])
    }
  }
}
