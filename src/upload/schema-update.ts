import type { Mapping } from './mapping-file.js'
import { BULK_REQUEST_URN, CORE_USER_URN, ENTERPRISE_USER_URN, type ValueType } from './scim-attributes.js'
import { callService, type CallOptions } from './service-call.js'

export interface DeclaredAttribute {
  schema: string
  name: string
  type: ValueType
  multiValued?: boolean
}

const SAMPLE_VALUES: Record<ValueType, string | number | boolean> = {
  string: 'text',
  boolean: true,
  integer: 1,
  dateTime: '2024-01-31T00:00:00Z'
}

/** The job's URL: its bulkUpload URL without `/bulkUpload`. */
export function jobUrlOf (bulkUploadUrl: string): string {
  const url = new URL(bulkUploadUrl)
  if (!/\/bulkUpload\/?$/i.test(url.pathname)) throw new Error(`${bulkUploadUrl} is not a bulkUpload URL (…/synchronization/jobs/{jobId}/bulkUpload)`)
  url.pathname = url.pathname.replace(/\/bulkUpload\/?$/i, '')
  url.search = ''
  return url.toString()
}

/**
 * A one-user BulkRequest holding every custom extension attribute of the mapping with a
 * value of its declared type, so the service types each declaration as the upload will
 * send it. Undefined when the mapping writes no custom extension.
 */
export function extensionSample (mapping: Mapping): Record<string, unknown> | undefined {
  const extensions = new Map<string, Record<string, unknown>>()
  for (const { target, type } of mapping.attributes) {
    if (target.schema === CORE_USER_URN || target.schema === ENTERPRISE_USER_URN) continue
    const data = extensions.get(target.schema) ?? {}
    data[target.attribute] = SAMPLE_VALUES[type]
    extensions.set(target.schema, data)
  }
  if (extensions.size === 0) return undefined
  const user = { schemas: [CORE_USER_URN, ...extensions.keys()], externalId: 'schema-sample', ...Object.fromEntries(extensions) }
  return { schemas: [BULK_REQUEST_URN], Operations: [{ method: 'POST', bulkId: 'schema-sample', path: '/Users', data: user }] }
}

/**
 * Declares the mapping's custom extension attributes on the job (`POST {job}/schema/extensions:fromSample`),
 * as CSV2SCIM's -UpdateSchema does; returns the attributes the job did not have yet.
 */
export async function declareExtensionAttributes (bulkUploadUrl: string, mapping: Mapping, options: CallOptions): Promise<DeclaredAttribute[]> {
  const sample = extensionSample(mapping)
  if (sample === undefined) return []
  const response = await callService('schema update', {
    method: 'POST',
    url: `${jobUrlOf(bulkUploadUrl)}/schema/extensions:fromSample`,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(sample)
  }, options)
  return (JSON.parse(response.text) as { added?: DeclaredAttribute[] }).added ?? []
}
