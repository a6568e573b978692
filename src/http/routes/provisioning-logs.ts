import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Readable } from 'node:stream'
import { FilterError, LOG_FILTER_SUPPORTED, parseLogFilter, type LogFilter } from '../../logs/log-filter.js'
import { allProvisioningLogs, listProvisioningLogs, type LogOrder } from '../../logs/log-query.js'
import { logJobContexts } from '../../logs/log-job-context.js'
import { toProvisioningObjectSummary } from '../../logs/provisioning-object-summary.js'
import { LOG_CSV_COLUMNS, logCsv } from '../../logs/log-csv.js'
import { ROLES } from '../plugins/auth.js'
import { GraphError } from '../graph-error.js'
import { nextLink, readSkipToken } from '../skip-token.js'
import { errorResponses } from '../schemas.js'

interface LogQueryString { $filter?: string, $top: number, $orderby?: string, $skiptoken?: string, $format?: string }

/** Graph's default page size for this list, so a client moved over sees the pages it saw. */
export const DEFAULT_LOG_PAGE_SIZE = 50

const CSV_MEDIA_TYPE = 'text/csv'
const ORDER_BY = /^\s*activityDateTime(?:\s+(asc|desc))?\s*$/i

/** The provisioning log, read as Graph's provisioningObjectSummary list or downloaded as CSV. */
export default async function provisioningLogRoutes (app: FastifyInstance): Promise<void> {
  const schema = {
    tags: ['audit'],
    summary: 'List the provisioning log',
    operationId: 'listProvisioningLogs',
    description: 'One entry per processed operation — what was done to which user, with what result and which attributes changed — readable as soon ' +
      'as its batch commits. Newest first unless `$orderby=activityDateTime asc`; pages of `$top` (default 50, at most 1,000) with the `$skiptoken` ' +
      'carried by `@odata.nextLink`, stable while new entries arrive. `$format=csv` or `Accept: text/csv` downloads every matching entry as CSV ' +
      `(${LOG_CSV_COLUMNS.join(', ')}; a cell starting with = + - @ gets a leading apostrophe so spreadsheets show it as text; $top and $skiptoken do not apply). ` +
      `\`$filter\`: ${LOG_FILTER_SUPPORTED}. Names are not case sensitive; eq compares exactly, contains and startswith ignore case. ` +
      'Roles ProvisioningLog.Read.All or AuditLog.Read.All.',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        $filter: { type: 'string', maxLength: 2000, description: `OData: ${LOG_FILTER_SUPPORTED}.` },
        $top: { type: 'integer', minimum: 1, maximum: 1000, default: DEFAULT_LOG_PAGE_SIZE },
        $orderby: { type: 'string', maxLength: 100, description: '`activityDateTime desc` (the default) or `activityDateTime asc`.' },
        $skiptoken: { type: 'string', maxLength: 200, description: 'Opaque; copy it from @odata.nextLink.' },
        $format: { type: 'string', enum: ['json', 'csv', 'application/json', CSV_MEDIA_TYPE], description: 'csv: download as CSV (as `Accept: text/csv`).' }
      }
    },
    response: {
      200: {
        description: 'One page of entries, `@odata.nextLink` present when there are more; or, as CSV, every matching entry.',
        headers: { 'Content-Disposition': { type: 'string', required: false, description: 'With CSV: attachment; filename="provisioningLogs.csv"' } },
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['value'],
              properties: {
                '@odata.context': { type: 'string' },
                value: { type: 'array', items: { $ref: 'ProvisioningObjectSummary#' } },
                '@odata.nextLink': { type: 'string' }
              }
            }
          },
          [CSV_MEDIA_TYPE]: {
            schema: {
              type: 'string',
              description: `RFC 4180, CRLF line ends, a header row: ${LOG_CSV_COLUMNS.join(', ')}. modifiedProperties and provisioningSteps are JSON.`
            }
          }
        }
      },
      ...errorResponses(400, 401, 403)
    }
  }
  const handler = async (request: FastifyRequest<{ Querystring: LogQueryString }>, reply: FastifyReply): Promise<unknown> => {
    const { $filter, $top: top, $orderby, $skiptoken, $format } = request.query
    const filter = $filter === undefined ? undefined : readFilter($filter)
    const order = readOrderBy($orderby)
    if (wantsCsv($format, request.headers.accept)) {
      // The generator opens its transaction when the response starts reading and ends it when
      // the stream ends or is destroyed (client gone): nothing is held for a response never sent.
      return await reply
        .type(`${CSV_MEDIA_TYPE}; charset=utf-8`)
        .header('content-disposition', 'attachment; filename="provisioningLogs.csv"')
        .send(Readable.from(logCsv(allProvisioningLogs(app.db, { filter, order }))))
    }
    const after = $skiptoken === undefined ? undefined : readSkipToken($skiptoken)
    const entries = await listProvisioningLogs(app.db, { filter, order, top: top + 1, after })
    const page = entries.slice(0, top)
    const jobs = await logJobContexts(app.db, page.map(entry => entry.jobId))
    const body: Record<string, unknown> = {
      '@odata.context': `${app.publicBaseUrl(request)}${app.prefix}/$metadata#auditLogs/provisioning`,
      value: page.map(entry => toProvisioningObjectSummary(entry, jobs.get(entry.jobId)))
    }
    if (entries.length > top) {
      const last = page[page.length - 1]!
      body['@odata.nextLink'] = nextLink(app, request, { at: last.activityDateTime, id: last.id })
    }
    return body
  }
  const preHandler = app.requireRoles([ROLES.provisioningLogRead, ROLES.auditLogRead])
  app.get<{ Querystring: LogQueryString }>('/auditLogs/provisioning', { schema, preHandler }, handler)
  // Microsoft's Postman collection and documentation write the path with a trailing slash;
  // the router tells the two apart, so both are served (and documented, as every route is).
  app.get<{ Querystring: LogQueryString }>('/auditLogs/provisioning/', {
    schema: {
      ...schema,
      summary: 'List the provisioning log (the path as Microsoft\'s samples write it)',
      operationId: 'listProvisioningLogsTrailingSlash',
      description: `The same as GET /auditLogs/provisioning, for clients that write the path with a trailing slash as Microsoft's Postman collection does. ${schema.description}`
    },
    preHandler
  }, handler)
}

function readFilter (text: string): LogFilter {
  try {
    return parseLogFilter(text)
  } catch (err) {
    if (!(err instanceof FilterError)) throw err
    throw new GraphError(400, 'BadRequest', err.message, [{ code: 'invalidFilter', target: '$filter', message: err.reason, position: err.position }])
  }
}

function readOrderBy (text: string | undefined): LogOrder {
  if (text === undefined) return 'desc'
  const match = ORDER_BY.exec(text)
  if (match === null) {
    throw new GraphError(400, 'BadRequest', `$orderby '${text}' is not supported: entries are ordered by activityDateTime, asc or desc (the default).`,
      [{ code: 'invalidValue', target: '$orderby', message: 'supported: activityDateTime asc, activityDateTime desc' }])
  }
  return match[1]?.toLowerCase() === 'asc' ? 'asc' : 'desc'
}

/**
 * CSV when $format asks for it, or when no $format is given and the Accept header ranks
 * text/csv above JSON (a browser's or curl's `*∕*` gets JSON).
 */
function wantsCsv (format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv' || format === CSV_MEDIA_TYPE
  if (accept === undefined) return false
  const quality = (type: string): number => {
    let best = -1
    for (const part of accept.split(',')) {
      const [range = '', ...parameters] = part.trim().toLowerCase().split(';')
      if (range.trim() !== type) continue
      const q = parameters.map(p => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)?.[1]).find(value => value !== undefined)
      best = Math.max(best, q === undefined ? 1 : Number(q))
    }
    return best
  }
  const csv = quality(CSV_MEDIA_TYPE)
  return csv > 0 && csv >= quality('application/json')
}
