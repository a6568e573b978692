import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { parseTargetPath, targetKey, TargetPathError, type TargetPath } from './target-path.js'
import type { ValueType } from './scim-attributes.js'
import { parseTemplate, type TemplatePart } from './template.js'
import { conversionProblem, type Scalar } from './value-types.js'

export type { Scalar }

/** A value as the mapping file writes it: a column name, or one of the object forms. */
export type ValueSpec = string | {
  column?: string
  template?: string
  constant?: Scalar
  equals?: string | string[]
  map?: Record<string, Scalar>
  default?: Scalar
  type?: ValueType
  required?: boolean
}

/** The mapping file: JSON, the counterpart of CSV2SCIM's AttributeMapping.psd1. */
export interface MappingFile {
  $schema?: string
  description?: string
  attributes: Record<string, ValueSpec>
}

export type ValueSource =
  | { kind: 'column', column: string }
  | { kind: 'equals', column: string, values: string[] }
  | { kind: 'lookup', column: string, table: Map<string, Scalar>, fallback?: Scalar }
  | { kind: 'template', parts: TemplatePart[] }
  | { kind: 'constant', value: Scalar }

export interface AttributeMapping {
  target: TargetPath
  source: ValueSource
  type: ValueType
  /** A row without a value for it is refused. */
  required: boolean
}

export interface Mapping {
  description?: string
  attributes: AttributeMapping[]
  /** sha256 of the mapping's content: a checkpoint belongs to one mapping. */
  fingerprint: string
}

/** A mapping file that cannot be used; `problems` lists every one found. */
export class MappingError extends Error {
  constructor (readonly source: string, readonly problems: string[]) {
    super(`${source}: ${problems.length === 1 ? problems[0]! : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`}`)
  }
}

const SPEC_KEYS = new Set(['column', 'template', 'constant', 'equals', 'map', 'default', 'type', 'required'])
const VALUE_TYPES = new Set<ValueType>(['string', 'boolean', 'integer', 'dateTime'])
/** Attributes a row cannot go without unless the mapping says otherwise. */
const REQUIRED_BY_DEFAULT = new Set(['externalId', 'userName'])

export async function loadMappingFile (path: string): Promise<Mapping> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new MappingError(path, [`cannot be read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`])
  }
  let json: unknown
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    throw new MappingError(path, [`is not valid JSON: ${(err as Error).message}`])
  }
  return parseMapping(json, path)
}

/** Checks a parsed mapping file and resolves its targets; every problem is reported at once. */
export function parseMapping (json: unknown, source = 'mapping'): Mapping {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new MappingError(source, ['must be a JSON object with "attributes"'])
  const file = json as Record<string, unknown>
  const problems: string[] = []
  for (const key of Object.keys(file)) {
    if (!['$schema', 'description', 'attributes'].includes(key)) problems.push(`unknown member "${key}" (a mapping has "attributes" and an optional "description")`)
  }
  const attributes = file.attributes
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    throw new MappingError(source, [...problems, '"attributes" must be an object of "<SCIM attribute>": <column or value>'])
  }
  const mappings: AttributeMapping[] = []
  const seen = new Map<string, string>()
  for (const [path, spec] of Object.entries(attributes as Record<string, unknown>)) {
    const where = `attributes["${path}"]`
    let target: TargetPath
    try {
      target = parseTargetPath(path)
    } catch (err) {
      if (!(err instanceof TargetPathError)) throw err
      problems.push(`${where}: ${err.message}`)
      continue
    }
    const key = targetKey(target)
    const earlier = seen.get(key)
    if (earlier !== undefined) problems.push(`${where}: the same attribute as "${earlier}"`)
    seen.set(key, path)
    const mapping = parseSpec(target, spec, message => problems.push(`${where}: ${message}`))
    if (mapping !== undefined) mappings.push(mapping)
  }
  if (!mappings.some(mapping => mapping.target.attribute === 'externalId') && !problems.some(problem => problem.includes('externalId'))) {
    problems.push('"externalId" is not mapped: every record needs it (it matches HR records to users), e.g. "externalId": "WorkerID"')
  }
  if (problems.length > 0) throw new MappingError(source, problems)
  return {
    ...(typeof file.description === 'string' ? { description: file.description } : {}),
    attributes: mappings,
    fingerprint: createHash('sha256').update(JSON.stringify(json)).digest('hex')
  }
}

function parseSpec (target: TargetPath, raw: unknown, problem: (message: string) => void): AttributeMapping | undefined {
  const spec = typeof raw === 'string' ? { column: raw } : raw
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    problem('must be a column name or an object such as {"column": …}, {"template": …}, {"constant": …}')
    return undefined
  }
  const s = spec as Record<string, unknown>
  const unknown = Object.keys(s).filter(key => !SPEC_KEYS.has(key))
  if (unknown.length > 0) { problem(`unknown member${unknown.length > 1 ? 's' : ''} ${unknown.map(key => `"${key}"`).join(', ')} (known: ${[...SPEC_KEYS].join(', ')})`); return undefined }
  const forms = ['column', 'template', 'constant'].filter(key => key in s)
  if (forms.length !== 1) { problem('needs exactly one of "column", "template" or "constant"'); return undefined }
  if (s.type !== undefined && !VALUE_TYPES.has(s.type as ValueType)) { problem(`"type" must be one of ${[...VALUE_TYPES].join(', ')}`); return undefined }
  if (s.required !== undefined && typeof s.required !== 'boolean') { problem('"required" must be true or false'); return undefined }
  if (target.attribute === 'externalId' && s.required === false) { problem('externalId is always required'); return undefined }
  const source = parseSource(s, problem)
  if (source === undefined) return undefined
  const type = resolveType(target, s, source, problem)
  if (type === undefined) return undefined
  if (!checkLiterals(source, type, problem)) return undefined
  const required = source.kind === 'constant' ? false : (s.required as boolean | undefined) ?? REQUIRED_BY_DEFAULT.has(target.attribute)
  return { target, source, type, required }
}

function parseSource (s: Record<string, unknown>, problem: (message: string) => void): ValueSource | undefined {
  if ('constant' in s) {
    if (!['string', 'number', 'boolean'].includes(typeof s.constant)) { problem('"constant" must be a string, a number or true/false'); return undefined }
    if (s.equals !== undefined || s.map !== undefined || s.default !== undefined) { problem('"equals", "map" and "default" go with "column"'); return undefined }
    return { kind: 'constant', value: s.constant as Scalar }
  }
  if ('template' in s) {
    if (typeof s.template !== 'string') { problem('"template" must be a string such as "{UserID}@contoso.com"'); return undefined }
    if (s.equals !== undefined || s.map !== undefined || s.default !== undefined) { problem('"equals", "map" and "default" go with "column"'); return undefined }
    const parsed = parseTemplate(s.template)
    if (typeof parsed === 'string') { problem(parsed); return undefined }
    return { kind: 'template', parts: parsed }
  }
  if (typeof s.column !== 'string' || s.column.trim() === '') { problem('"column" must be a column name of the CSV header'); return undefined }
  const column = s.column.trim()
  if (s.equals !== undefined && s.map !== undefined) { problem('use "equals" or "map", not both'); return undefined }
  if (s.equals !== undefined) {
    const values = Array.isArray(s.equals) ? s.equals : [s.equals]
    if (values.length === 0 || values.some(value => typeof value !== 'string')) { problem('"equals" must be a string or a list of strings'); return undefined }
    if (s.default !== undefined) { problem('"default" goes with "map"'); return undefined }
    return { kind: 'equals', column, values: values as string[] }
  }
  if (s.map !== undefined) {
    if (s.map === null || typeof s.map !== 'object' || Array.isArray(s.map)) { problem('"map" must be an object of "<CSV value>": <value to send>'); return undefined }
    const entries = Object.entries(s.map as Record<string, unknown>)
    if (entries.some(([, value]) => !['string', 'number', 'boolean'].includes(typeof value))) { problem('the values of "map" must be strings, numbers or true/false'); return undefined }
    if (s.default !== undefined && !['string', 'number', 'boolean'].includes(typeof s.default)) { problem('"default" must be a string, a number or true/false'); return undefined }
    // CSV values are looked up ignoring case and surrounding spaces, as PowerShell's -eq compares.
    return { kind: 'lookup', column, table: new Map(entries.map(([key, value]) => [key.trim().toLowerCase(), value as Scalar])), ...(s.default !== undefined ? { fallback: s.default as Scalar } : {}) }
  }
  if (s.default !== undefined) { problem('"default" goes with "map"'); return undefined }
  return { kind: 'column', column }
}

function resolveType (target: TargetPath, s: Record<string, unknown>, source: ValueSource, problem: (message: string) => void): ValueType | undefined {
  const declared = s.type as ValueType | undefined
  const implied: ValueType | undefined = source.kind === 'equals'
    ? 'boolean'
    : source.kind === 'constant' && typeof source.value !== 'string' ? (typeof source.value === 'boolean' ? 'boolean' : 'integer') : undefined
  if (target.expected !== undefined) {
    const expected = target.expected.type
    if (declared !== undefined && declared !== expected) { problem(`${target.text} is ${article(expected)}; "type": "${declared}" does not fit`); return undefined }
    if (implied !== undefined && implied !== expected) { problem(`${target.text} is ${article(expected)}, not ${article(implied)}`); return undefined }
    return expected
  }
  if (declared !== undefined && implied !== undefined && declared !== implied) { problem(`"type": "${declared}" does not fit ${article(implied)} value`); return undefined }
  return declared ?? implied ?? 'string'
}

/** Constants and map values are checked once, here, rather than on every row. */
function checkLiterals (source: ValueSource, type: ValueType, problem: (message: string) => void): boolean {
  const literals: Scalar[] = source.kind === 'constant'
    ? [source.value]
    : source.kind === 'lookup' ? [...source.table.values(), ...(source.fallback !== undefined ? [source.fallback] : [])] : []
  for (const literal of literals) {
    const reason = conversionProblem(literal, type)
    if (reason !== undefined) { problem(reason); return false }
  }
  return true
}

function article (type: ValueType): string {
  return { string: 'a string', boolean: 'a boolean', integer: 'an integer', dateTime: 'a dateTime' }[type]
}

/** The CSV columns a mapping reads. */
export function columnsOf (source: ValueSource): string[] {
  switch (source.kind) {
    case 'column': case 'equals': case 'lookup': return [source.column]
    case 'template': return source.parts.flatMap(part => typeof part === 'string' ? [] : [part.column])
    case 'constant': return []
  }
}
