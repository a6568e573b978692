import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Whether a scrape may read the metrics: always when no METRICS_TOKEN is configured,
 * otherwise only with `Authorization: Bearer <METRICS_TOKEN>`. Both sides are hashed so the
 * comparison takes the same time whatever the length or content of what was sent.
 */
export function mayScrape (authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true
  const match = /^Bearer +(.+)$/i.exec(authorization ?? '')
  if (match === null) return false
  return timingSafeEqual(digest(match[1]!.trim()), digest(token))
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

export const SCRAPE_REFUSED_MESSAGE = 'Metrics need "Authorization: Bearer <METRICS_TOKEN>".'
