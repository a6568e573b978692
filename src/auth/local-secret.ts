import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/**
 * The HS256 secret when JWT_SECRET is unset on a local `start`: generated once and kept in
 * DATA_DIR, so tokens printed at one start keep working after a restart and `token` mints
 * tokens the running service accepts.
 */
export function localJwtSecret (dataDir: string): string {
  const file = path.resolve(dataDir, 'jwt-secret')
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    mkdirSync(path.resolve(dataDir), { recursive: true })
    const secret = randomBytes(32).toString('hex')
    writeFileSync(file, secret + '\n', { mode: 0o600 })
    return secret
  }
}
