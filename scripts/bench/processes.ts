/**
 * The service under test as child processes (API and one worker), and what the bench
 * observes of them from /proc: resident memory and CPU time, per process and for the
 * PostgreSQL and Redis servers they talk to.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'

export type RunMode = 'dist' | 'tsx'

/** `npx tsc -p .`; the compiled CLI is used only when the build succeeds. */
export function buildService (root: string): { mode: RunMode, note: string } {
  const started = Date.now()
  const result = spawnSync('npx', ['tsc', '-p', '.'], { cwd: root, encoding: 'utf8', timeout: 180_000 })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (result.status === 0 && existsSync(path.join(root, 'dist', 'cli.js'))) {
    return { mode: 'dist', note: `compiled with tsc in ${seconds} s; running node dist/cli.js` }
  }
  const why = (result.error?.message ?? `${result.stdout ?? ''}${result.stderr ?? ''}`).trim().split('\n').slice(0, 3).join(' | ')
  return { mode: 'tsx', note: `tsc failed (${why}); running node --import tsx src/cli.ts` }
}

export async function findFreePort (from: number, attempts = 50): Promise<number> {
  for (let port = from; port < from + attempts; port++) {
    const free = await new Promise<boolean>(resolve => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (free) return port
  }
  throw new Error(`no free port in ${from}-${from + attempts - 1}`)
}

export interface ServiceProcess {
  role: 'api' | 'worker'
  child: ChildProcess
  pid: number
  /** Last lines the process wrote, for error reports. */
  output: string[]
}

export function startRole (root: string, mode: RunMode, role: 'api' | 'worker', env: Record<string, string>, extraNodeArgs: string[] = []): ServiceProcess {
  // BENCH_NODE_ARGS_API / BENCH_NODE_ARGS_WORKER: node or V8 flags to try on one role.
  const tried = (process.env[`BENCH_NODE_ARGS_${role.toUpperCase()}`] ?? '').split(' ').filter(arg => arg !== '')
  const nodeArgs = [...tried, ...extraNodeArgs]
  const args = mode === 'dist'
    ? [...nodeArgs, 'dist/cli.js', role]
    : [...nodeArgs, '--import', 'tsx', 'src/cli.ts', role]
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  if (child.pid === undefined) throw new Error(`could not start the ${role}`)
  const service: ServiceProcess = { role, child, pid: child.pid, output: [] }
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue
      service.output.push(line)
      if (service.output.length > 200) service.output.shift()
      // LOG_LEVEL=warn: whatever the service says is worth seeing.
      process.stderr.write(`  [${role}] ${line.length > 400 ? `${line.slice(0, 400)}…` : line}\n`)
    }
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  return service
}

export async function waitForReady (baseUrl: string, services: ServiceProcess[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    for (const service of services) {
      if (service.child.exitCode !== null) throw new Error(`the ${service.role} exited (${service.child.exitCode}): ${service.output.slice(-5).join(' | ')}`)
    }
    const ready = await fetch(`${baseUrl}/health/ready`).then(response => response.ok, () => false)
    if (ready) return
    if (Date.now() > deadline) throw new Error(`${baseUrl}/health/ready not ready after ${timeoutMs} ms`)
    await sleep(200)
  }
}

/** SIGTERM (graceful: the worker finishes its request), SIGKILL after `graceMs`. */
export async function stopRole (service: ServiceProcess, graceMs = 8000): Promise<void> {
  const { child } = service
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, graceMs)
  await exited
  clearTimeout(timer)
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

// ---------------------------------------------------------------- memory

function statusField (pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? undefined : Number(match[1]) / 1024
  } catch {
    return undefined
  }
}

/** Samples VmRSS every 250 ms; `peaks()` also reads the kernel's own high-water mark VmHWM. */
export class MemorySampler {
  private readonly maxRss = new Map<number, number>()
  private phaseMax = new Map<number, number>()
  private readonly timer: NodeJS.Timeout

  constructor (private readonly pids: Record<string, number>, intervalMs = 250) {
    this.timer = setInterval(() => this.sample(), intervalMs)
    this.timer.unref()
  }

  // A role started as several processes (API_PROCESSES) counts its largest one: the targets are per process.
  private sample (): void {
    for (const pid of Object.values(this.pids)) {
      const rss = Math.max(...processGroup(pid).map(member => statusField(member, 'VmRSS') ?? 0))
      if (rss === 0) continue
      this.maxRss.set(pid, Math.max(rss, this.maxRss.get(pid) ?? 0))
      this.phaseMax.set(pid, Math.max(rss, this.phaseMax.get(pid) ?? 0))
    }
  }

  /** Peak sampled RSS per process since the previous call (MB). */
  phasePeak (): Record<string, number> {
    this.sample()
    const out: Record<string, number> = {}
    for (const [name, pid] of Object.entries(this.pids)) out[name] = round1(this.phaseMax.get(pid) ?? NaN)
    this.phaseMax = new Map()
    return out
  }

  peaks (): Record<string, { sampledMaxRssMb: number, vmHwmMb: number, currentRssMb: number }> {
    this.sample()
    const out: Record<string, { sampledMaxRssMb: number, vmHwmMb: number, currentRssMb: number }> = {}
    for (const [name, pid] of Object.entries(this.pids)) {
      const group = processGroup(pid)
      const largest = (field: 'VmRSS' | 'VmHWM'): number => Math.max(...group.map(member => statusField(member, field) ?? NaN))
      out[name] = { sampledMaxRssMb: round1(this.maxRss.get(pid) ?? NaN), vmHwmMb: round1(largest('VmHWM')), currentRssMb: round1(largest('VmRSS')) }
    }
    return out
  }

  stop (): void {
    clearInterval(this.timer)
  }
}

// ---------------------------------------------------------------- CPU

const CLOCK_TICKS = 100

interface ProcStat { ppid: number, ticks: number }

/** utime+stime(+cutime+cstime: a backend that exited is charged to the postmaster) in ticks. */
function processStat (pid: number | string): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after "(comm)": [0] state (field 3), [1] ppid, …, [11] utime (field 14), [12] stime, [13] cutime, [14] cstime.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) }
  } catch {
    return undefined
  }
}

/**
 * A process and its live children: a role started as several processes (the API with
 * API_PROCESSES) is its first process and the ones it forked. A child that exited is
 * already in its parent's cutime/cstime.
 */
export function processGroup (pid: number): number[] {
  const group = [pid]
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && processStat(entry)?.ppid === pid) group.push(Number(entry))
  }
  return group
}

/** Busy ticks of the whole machine (all CPUs), from /proc/stat. */
function systemBusyTicks (): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n')
  const [, user, nice, system, , , irq, softirq, steal] = cpu!.trim().split(/\s+/).map(Number)
  return user! + nice! + system! + irq! + softirq! + steal!
}

export interface CpuSnapshot {
  at: number
  ticks: Record<string, number>
}

/**
 * CPU time of the API, the worker, this bench process (the load generator), the bench's
 * PostgreSQL server (postmaster and its children) and Redis server — and of everything
 * else on the machine ("other"), so a phase can say which of them used the cores.
 */
export class CpuMeter {
  constructor (private readonly pids: Record<string, number>, private readonly postmasterPid?: number, private readonly redisPid?: number) {}

  snapshot (): CpuSnapshot {
    const system = systemBusyTicks()
    const ticks: Record<string, number> = {}
    for (const [name, pid] of Object.entries(this.pids)) ticks[name] = processGroup(pid).reduce((sum, member) => sum + (processStat(member)?.ticks ?? 0), 0)
    const self = process.cpuUsage()
    ticks.bench = (self.user + self.system) / 1e6 * CLOCK_TICKS
    ticks.postgres = 0
    ticks.redis = this.redisPid === undefined ? 0 : processStat(this.redisPid)?.ticks ?? 0
    if (this.postmasterPid !== undefined) {
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue
        const pid = Number(entry)
        if (pid !== this.postmasterPid && processStat(pid)?.ppid !== this.postmasterPid) continue
        ticks.postgres += processStat(pid)?.ticks ?? 0
      }
    }
    ticks.other = system - Object.values(ticks).reduce((sum, value) => sum + value, 0)
    return { at: Date.now(), ticks }
  }

  /** Cores used on average between two snapshots, per component. */
  static cores (from: CpuSnapshot, to: CpuSnapshot): Record<string, number> {
    const seconds = (to.at - from.at) / 1000
    const out: Record<string, number> = {}
    for (const name of Object.keys(to.ticks)) out[name] = round2(((to.ticks[name] ?? 0) - (from.ticks[name] ?? 0)) / CLOCK_TICKS / seconds)
    return out
  }
}

/** The PID of the PostgreSQL postmaster serving `client`'s connection (this machine only). */
export function postmasterOf (backendPid: number): number | undefined {
  return processStat(backendPid)?.ppid
}

export function loadAverage (): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return '?'
  }
}

function round1 (value: number): number {
  return Math.round(value * 10) / 10
}

function round2 (value: number): number {
  return Math.round(value * 100) / 100
}
