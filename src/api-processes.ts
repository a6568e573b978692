import cluster, { type Worker } from 'node:cluster'

/**
 * A process that exits with an error this soon after it was forked, before it listened, is not
 * restarted: its configuration or its database is at fault, and the others would fail alike.
 */
const EARLY_EXIT_MS = 10_000
/** Pause before a process that died after serving is replaced, so a crash loop cannot spin. */
const RESTART_DELAY_MS = 1000

export interface ApiProcessesOptions {
  count: number
  /** Time the processes get to finish the requests in hand on SIGTERM/SIGINT before they are killed. */
  shutdownDelayMs: number
  log: (line: string) => void
}

/**
 * `scim-inbound api` with API_PROCESSES above 1: this process starts that many API processes
 * on its port and keeps them running. One Node process runs JavaScript on one core, and
 * accepting an upload is mostly JavaScript (parsing and validating it), so this is how an
 * API uses the cores of its machine without a load balancer in front. node:cluster hands
 * each new connection to one of the processes in turn; each is a complete API process with
 * its own pool, so DB_POOL_MAX counts per process.
 */
export function runApiProcesses (options: ApiProcessesOptions): Promise<number> {
  const forkedAt = new Map<number, number>()
  const listening = new Set<number>()
  let stopping = false
  let exitCode = 0

  const fork = (): void => {
    const worker = cluster.fork()
    forkedAt.set(worker.id, Date.now())
    worker.once('listening', () => {
      listening.add(worker.id)
      options.log(`API process ${worker.process.pid ?? '?'} is listening`)
    })
  }
  const alive = (): Worker[] => Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead())

  return new Promise(resolve => {
    const stop = (code: number): void => {
      if (stopping) return
      stopping = true
      exitCode = code
      for (const worker of alive()) worker.process.kill('SIGTERM')
      if (alive().length === 0) resolve(exitCode)
      // close-with-grace in each process bounds its shutdown; this bounds a process that hangs anyway.
      setTimeout(() => { for (const worker of alive()) worker.process.kill('SIGKILL') }, options.shutdownDelayMs + 5000).unref()
    }
    cluster.on('exit', (worker, code, signal) => {
      // Killed by a signal (the OOM killer, an operator) is no fault of the configuration: replaced like any other.
      const early = signal === null && !listening.has(worker.id) && Date.now() - (forkedAt.get(worker.id) ?? 0) < EARLY_EXIT_MS
      listening.delete(worker.id)
      forkedAt.delete(worker.id)
      const how = signal !== null ? `signal ${signal}` : `code ${code}`
      if (stopping) {
        // One that did not stop cleanly (close-with-grace ran out of time, or it was killed) fails the
        // command. SIGTERM itself is clean: it ends a process still starting, with nothing in hand.
        if (signal !== null ? signal !== 'SIGTERM' : code !== 0) {
          options.log(`an API process did not stop cleanly (${how})`)
          exitCode = 1
        }
        if (alive().length === 0) resolve(exitCode)
        return
      }
      if (early) {
        options.log(`an API process exited (${how}) before it listened; stopping the others`)
        stop(1)
        return
      }
      options.log(`an API process exited (${how}); starting another`)
      // Not unref'd: when every process died at once, this timer is what keeps the command alive.
      setTimeout(() => { if (!stopping) fork() }, RESTART_DELAY_MS)
    })
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(0))
    for (let i = 0; i < options.count; i++) fork()
  })
}
