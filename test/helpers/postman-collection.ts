import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ENTRA_SAMPLES } from './entra-samples.js'

export const POSTMAN_COLLECTION_FILE = path.join(ENTRA_SAMPLES, 'Entra ID Inbound Provisioning.postman_collection.json')
export const POSTMAN_ENVIRONMENT_FILE = path.join(ENTRA_SAMPLES, 'Test-API2AAD.postman_environment.json')

const GRAPH_ORIGIN = 'https://graph.microsoft.com'

/** Variables the prepared collection reads besides the environment's own (bulk_upload_endpoint, jobId). */
export const GRAPH_BASE_URL_VARIABLE = 'graph_base_url'
export const ACCESS_TOKEN_VARIABLE = 'access_token'

type Json = Record<string, any>

/**
 * The collection as Microsoft ships it, with two changes made in memory (the file stays as it is):
 *
 * - Its log queries name https://graph.microsoft.com outright; that origin becomes
 *   {{graph_base_url}}, so they reach this service. (The uploads already go to
 *   {{bulk_upload_endpoint}}, an environment variable.)
 * - Its OAuth 2.0 authorization gets a token through a browser sign-in at
 *   login.microsoftonline.com, which Postman runs and newman never does: newman sends the
 *   token such a sign-in left in `accessToken`, and without one sends none. The collection is
 *   given {{access_token}} there — the place Postman keeps the token it acquired — so every
 *   request carries it in an `Authorization: Bearer` header exactly as the collection's
 *   settings (addTokenTo: header) say.
 */
export function collectionForThisService (): Json {
  const collection = JSON.parse(readFileSync(POSTMAN_COLLECTION_FILE, 'utf8')) as Json
  for (const item of collection.item as Json[]) {
    const url = item.request?.url as Json | undefined
    if (typeof url?.raw === 'string' && url.raw.startsWith(GRAPH_ORIGIN)) {
      item.request.url = `{{${GRAPH_BASE_URL_VARIABLE}}}${url.raw.slice(GRAPH_ORIGIN.length)}`
    }
  }
  if (collection.auth?.type !== 'oauth2') throw new Error('the collection no longer authorizes with OAuth 2.0; revisit collectionForThisService')
  collection.auth.oauth2.push({ key: 'accessToken', value: `{{${ACCESS_TOKEN_VARIABLE}}}`, type: 'string' })
  return collection
}
