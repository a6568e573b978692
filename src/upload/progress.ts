import cliProgress from 'cli-progress'

/** Rows at each stage of the run (this run's rows; rows accepted by an earlier run are not counted). */
export interface ProgressCounters {
  /** Rows to send in this run. */
  total: number
  read: number
  sent: number
  accepted: number
  processed: number
  failed: number
}

export interface ProgressView {
  /** A message that must not be drawn over by the bar. */
  note: (message: string) => void
  stop: () => void
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream
  /** With --wait the bar follows processed rows, else accepted ones. */
  waiting: boolean
  /** Seconds between plain lines when the output is not a terminal. */
  intervalMs?: number
}

/** A bar on a terminal; otherwise a plain line every few seconds and one at the end. */
export function showProgress (counters: ProgressCounters, options: ProgressOptions): ProgressView {
  const startedAt = Date.now()
  const done = (): number => options.waiting ? counters.processed : counters.accepted
  const rate = (): number => done() / Math.max(0.001, (Date.now() - startedAt) / 1000)
  const eta = (): string => {
    const remaining = counters.total - done()
    if (remaining <= 0) return '0s'
    const perSecond = rate()
    return perSecond > 0 ? formatDuration(remaining / perSecond) : '?'
  }
  const payload = (): Record<string, string | number> => ({
    read: counters.read, sent: counters.sent, accepted: counters.accepted, processed: counters.processed,
    failed: counters.failed, rate: Math.round(rate()), etaText: eta()
  })

  if (options.stream.isTTY === true) {
    const bars = new cliProgress.MultiBar({
      stream: options.stream,
      hideCursor: true,
      // The command handles Ctrl-C itself (it finishes the requests in flight); the cursor is
      // restored on exit below.
      gracefulExit: false,
      format: `{bar} {percentage}% | read {read} | sent {sent} | accepted {accepted}${options.waiting ? ' | processed {processed} | failed {failed}' : ''} | {rate} rows/s | ETA {etaText}`
    }, cliProgress.Presets.shades_classic)
    const bar = bars.create(Math.max(1, counters.total), 0, payload())
    const timer = setInterval(() => { bar.setTotal(Math.max(1, counters.total)); bar.update(done(), payload()) }, 200)
    timer.unref()
    let stopped = false
    const stop = (): void => {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      bar.update(done(), payload())
      // Draws the notes still buffered, then the bar one last time.
      bars.update()
      bars.stop()
      process.off('exit', stop)
    }
    process.once('exit', stop)
    return { note: message => { bars.log(`${message}\n`) }, stop }
  }

  const line = (): string => {
    const p = payload()
    return `progress: ${done()}/${counters.total} rows ${options.waiting ? 'processed' : 'accepted'} — read ${p.read}, sent ${p.sent}, accepted ${p.accepted}` +
      `${options.waiting ? `, processed ${p.processed}, failed ${p.failed}` : ''} — ${p.rate} rows/s, ETA ${p.etaText}\n`
  }
  let last = ''
  const timer = setInterval(() => {
    const text = line()
    // Identical lines only repeat that nothing moved; the ETA and rate change anyway.
    if (text !== last) options.stream.write(text)
    last = text
  }, options.intervalMs ?? 5000)
  timer.unref()
  return {
    note: message => { options.stream.write(`${message}\n`) },
    stop: () => { clearInterval(timer); options.stream.write(line()) }
  }
}

export function formatDuration (seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor(s % 3600 / 60)).padStart(2, '0')}m`
}
