import type { FastifyInstance, FastifyRequest } from 'fastify'
import { GraphError } from './graph-error.js'

/** A keyset position (timestamp and id of the last entry of a page), opaque to clients. */
export interface PagePosition { at: Date, id: string }

export function readSkipToken (token: string): PagePosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [string, string]
    const date = new Date(at)
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(date.getTime())) throw new Error('bad token')
    return { at: date, id }
  } catch {
    throw new GraphError(400, 'BadRequest', '$skiptoken is not one this service issued; follow @odata.nextLink as given.', [{ code: 'invalidValue', target: '$skiptoken', message: 'unknown skip token' }])
  }
}

/** The request's own URL (prefix and other parameters kept) with the next page's $skiptoken. */
export function nextLink (app: FastifyInstance, request: FastifyRequest, last: PagePosition): string {
  const url = new URL(`${app.publicBaseUrl(request)}${request.url}`)
  url.searchParams.set('$skiptoken', Buffer.from(JSON.stringify([last.at.toISOString(), last.id])).toString('base64url'))
  return url.toString()
}
