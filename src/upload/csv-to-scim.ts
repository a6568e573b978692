import { columnsOf, MappingError, type AttributeMapping, type Mapping, type ValueSource } from './mapping-file.js'
import { CORE_USER_URN, ENTERPRISE_USER_URN } from './scim-attributes.js'
import { convertValue, type Scalar } from './value-types.js'
import { userNameProblem, valueProblem, type RowProblem } from './row-validation.js'
import type { CsvRow } from './csv-reader.js'

export type { RowProblem }

/** A SCIM user (the `data` of a bulk operation). */
export type ScimUserData = Record<string, unknown> & { schemas: string[], externalId: string }

export type RowResult =
  | { ok: true, row: number, externalId: string, user: ScimUserData }
  | { ok: false, row: number, externalId?: string, problems: RowProblem[] }

/** Turns one CSV record into a SCIM user, or says what is wrong with it. */
export type RowConverter = (record: CsvRow) => RowResult

interface CompiledAttribute {
  mapping: AttributeMapping
  value: (fields: string[]) => Scalar | UnmappedValue | undefined
  /** The column to name when the value is missing or wrong. */
  column?: string
}

/**
 * Binds a mapping to a CSV header (column names match ignoring case, as PowerShell's
 * property names do) and returns the row converter. Columns the mapping names but the
 * header lacks are all reported at once.
 */
export function compileMapping (mapping: Mapping, header: string[], source = 'mapping'): RowConverter {
  const index = columnIndex(header)
  const missing: string[] = []
  const compiled = mapping.attributes.map(attribute => {
    for (const column of columnsOf(attribute.source)) {
      if (index(column) === undefined) missing.push(`column "${column}" (for ${attribute.target.text}) is not in the CSV header`)
    }
    return attribute
  })
  if (missing.length > 0) throw new MappingError(source, [...missing, `the header's columns are: ${header.join(', ')}`])
  const attributes: CompiledAttribute[] = compiled.map(attribute => ({
    mapping: attribute,
    value: valueReader(attribute.source, column => index(column)!),
    column: columnsOf(attribute.source).map(column => header[index(column)!]!)[0]
  }))
  return record => convertRow(record, header, attributes)
}

function columnIndex (header: string[]): (column: string) => number | undefined {
  const exact = new Map(header.map((name, i) => [name, i]))
  const folded = new Map(header.map((name, i) => [name.toLowerCase(), i]))
  return column => exact.get(column) ?? folded.get(column.toLowerCase())
}

function valueReader (source: ValueSource, index: (column: string) => number): (fields: string[]) => Scalar | UnmappedValue | undefined {
  const cell = (column: string): (fields: string[]) => string | undefined => {
    const i = index(column)
    return fields => {
      const text = fields[i]?.trim()
      return text === '' ? undefined : text
    }
  }
  switch (source.kind) {
    case 'constant': return () => source.value
    case 'column': return cell(source.column)
    case 'equals': {
      const read = cell(source.column)
      const accepted = new Set(source.values.map(value => value.trim().toLowerCase()))
      return fields => { const text = read(fields); return text === undefined ? undefined : accepted.has(text.toLowerCase()) }
    }
    case 'lookup': {
      const read = cell(source.column)
      return fields => {
        const text = read(fields)
        if (text === undefined) return undefined
        return source.table.get(text.toLowerCase()) ?? source.fallback ?? new UnmappedValue(text, [...source.table.keys()])
      }
    }
    case 'template': {
      const parts = source.parts.map(part => typeof part === 'string' ? part : cell(part.column))
      return fields => {
        let text = ''
        for (const part of parts) {
          if (typeof part === 'string') { text += part; continue }
          const value = part(fields)
          // A template with an empty column yields nothing rather than a half-built value ("@contoso.com").
          if (value === undefined) return undefined
          text += value
        }
        return text
      }
    }
  }
}

/** A lookup whose CSV value is not in the map and that has no default. */
class UnmappedValue {
  constructor (readonly text: string, readonly known: string[]) {}
}

function convertRow (record: CsvRow, header: string[], attributes: CompiledAttribute[]): RowResult {
  const { row, fields } = record
  if (fields.length !== header.length) {
    return { ok: false, row, problems: [{ row, reason: `has ${fields.length} field${fields.length === 1 ? '' : 's'}; the header has ${header.length}` }] }
  }
  const problems: RowProblem[] = []
  const builder = new UserBuilder()
  for (const attribute of attributes) {
    const { mapping } = attribute
    const raw = attribute.value(fields)
    const where = { row, ...(attribute.column !== undefined ? { column: attribute.column } : {}), attribute: mapping.target.text }
    if (raw instanceof UnmappedValue) {
      problems.push({ ...where, reason: `${JSON.stringify(raw.text)} is not one of the values "map" knows (${raw.known.join(', ')}) and there is no "default"` })
      continue
    }
    if (raw === undefined) {
      if (mapping.required) problems.push({ ...where, reason: `is empty; ${mapping.target.text} is required` })
      else if (isManagerValue(mapping)) builder.set(mapping, '', false)
      continue
    }
    const converted = convertValue(raw, mapping.type)
    const reason = converted.ok ? valueProblem(mapping.target, converted.value) : converted.reason
    if (reason !== undefined) { problems.push({ ...where, reason }); continue }
    builder.set(mapping, (converted as { value: Scalar }).value, mapping.source.kind !== 'constant')
  }
  const user = builder.build()
  const externalId = typeof user.externalId === 'string' ? user.externalId : undefined
  if (typeof user.userName === 'string') {
    const reason = userNameProblem(user.userName)
    const attribute = attributes.find(candidate => candidate.mapping.target.attribute === 'userName' && candidate.mapping.target.schema === CORE_USER_URN)
    if (reason !== undefined) problems.push({ row, ...(attribute?.column !== undefined ? { column: attribute.column } : {}), attribute: 'userName', reason })
  }
  if (problems.length > 0) return { ok: false, row, ...(externalId !== undefined ? { externalId } : {}), problems }
  return { ok: true, row, externalId: externalId!, user }
}

/**
 * An empty manager cell is sent as `{"value": ""}`: the service unlinks the manager then,
 * which is what blanking the column in the HR export means. Other empty cells are left
 * out, so they never clear anything.
 */
function isManagerValue (mapping: AttributeMapping): boolean {
  const { target } = mapping
  return target.schema === ENTERPRISE_USER_URN && target.attribute === 'manager' && target.subAttribute === 'value' && mapping.source.kind !== 'constant'
}

/** Assembles the nested SCIM object; entries of multi-valued attributes are sent only when a column gave them a value. */
class UserBuilder {
  private readonly core: Record<string, unknown> = {}
  private readonly extensions = new Map<string, Record<string, unknown>>()
  private readonly entries = new Map<Array<Record<string, unknown>>, Map<Record<string, unknown>, boolean>>()

  set (mapping: AttributeMapping, value: Scalar, fromColumn: boolean): void {
    const { target } = mapping
    let holder = this.core
    if (target.schema !== CORE_USER_URN) {
      holder = this.extensions.get(target.schema) ?? {}
      this.extensions.set(target.schema, holder)
    }
    if (target.subAttribute === undefined) { holder[target.attribute] = value; return }
    if (target.entryType === undefined) {
      const parent = (holder[target.attribute] ??= {}) as Record<string, unknown>
      parent[target.subAttribute] = value
      return
    }
    const list = (holder[target.attribute] ??= []) as Array<Record<string, unknown>>
    let entry = list.find(item => item.type === target.entryType)
    if (entry === undefined) { entry = { type: target.entryType }; list.push(entry) }
    entry[target.subAttribute] = value
    const flags = this.entries.get(list) ?? new Map<Record<string, unknown>, boolean>()
    this.entries.set(list, flags)
    flags.set(entry, (flags.get(entry) ?? false) || fromColumn)
  }

  build (): ScimUserData {
    for (const [list, flags] of this.entries) {
      const kept = list.filter(entry => flags.get(entry) === true)
      list.splice(0, list.length, ...kept)
    }
    dropEmptyLists(this.core)
    const schemas = [CORE_USER_URN]
    const user: Record<string, unknown> = { schemas }
    Object.assign(user, this.core)
    for (const [schema, data] of this.extensions) {
      dropEmptyLists(data)
      if (Object.keys(data).length === 0) continue
      schemas.push(schema)
      user[schema] = data
    }
    return user as ScimUserData
  }
}

function dropEmptyLists (holder: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(holder)) if (Array.isArray(value) && value.length === 0) delete holder[key]
}
