import { statSync } from 'node:fs'
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
