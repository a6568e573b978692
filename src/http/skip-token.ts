import type { FastifyInstance, FastifyRequest } from 'fastify'
import { GraphError } from './graph-error.js'
import { readDateTime } from '../odata/filter-lexer.js'

/**
 * A keyset position (timestamp and id of the last entry of a page), opaque to clients. The
 * timestamp keeps PostgreSQL's microseconds: cut to a JavaScript Date's milliseconds, a
 * page would skip entries written in the same millisecond as its predecessor's last one.
 */
export interface PagePosition { at: string, id: string }

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/

/**
 * The position a token carries. Anything this service did not issue is the client's 400: a
 * token that does not decode, and also a well-formed one with a time PostgreSQL would refuse
 * (year 0, February 30), which must not become a failed query.
 */
export function readSkipToken (token: string): PagePosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [string, string]
    if (typeof at !== 'string' || !TIMESTAMP.test(at) || readDateTime(at) === undefined) throw new Error('bad token')
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new Error('bad token')
    return { at, id }
  } catch {
    throw new GraphError(400, 'BadRequest', '$skiptoken is not one this service issued; follow @odata.nextLink as given.', [{ code: 'invalidValue', target: '$skiptoken', message: 'unknown skip token' }])
  }
}

/** The request's own URL (prefix and other parameters kept) with the next page's $skiptoken. */
export function nextLink (app: FastifyInstance, request: FastifyRequest, last: PagePosition): string {
  const url = new URL(`${app.publicBaseUrl(request)}${request.url}`)
  url.searchParams.set('$skiptoken', Buffer.from(JSON.stringify([last.at, last.id])).toString('base64url'))
  return url.toString()
}

