import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import path from 'node:path'
import type { Test } from 'tap'
import type { Config } from '../../src/config.js'
import { PROJECT_ROOT } from '../../src/paths.js'

/** Runs `scim-inbound <command>` as a real child process with the test's configuration. */
export function spawnCli (t: Test, command: 'worker' | 'api', config: Config, extraEnv: Record<string, string> = {}): ChildProcess {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' }
  for (const [key, value] of Object.entries(config)) if (value !== undefined) env[key] = String(value)
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'cli.ts'), command], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  child.on('exit', code => { if (code !== 0 && code !== null) t.comment(`${command} exited ${code}: ${stderr.slice(-2000)}`) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  return child
}

export async function waitFor<T> (what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** A TCP port nothing listens on right now, for a process the test starts. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}
