/** One sample of a Prometheus text-format (0.0.4) exposition. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/y

/** Parses the samples of an exposition; comment lines (# HELP, # TYPE) are checked, then skipped. */
export function parsePrometheusText (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = SAMPLE_LINE.exec(line)
    if (match === null) throw new Error(`not a sample line: ${line}`)
    samples.push({ name: match[1]!, labels: parseLabels(match[2] ?? '', line), value: parseValue(match[3]!) })
  }
  return samples
}

function parseLabels (text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  LABEL.lastIndex = 0
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex
    const match = LABEL.exec(text)
    if (match === null || match.index !== start) throw new Error(`bad labels in: ${line}`)
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_all, escaped: string) => escaped === 'n' ? '\n' : escaped)
  }
  return labels
}

function parseValue (text: string): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  const value = Number(text)
  if (Number.isNaN(value) && text !== 'NaN') throw new Error(`bad sample value ${text}`)
  return value
}

/** The samples named `name` whose labels include every one given. */
export function samplesOf (samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(sample => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
}

/** The value of the one sample named `name` with these labels (all of them, exactly); undefined when there is none. */
export function valueOf (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = samples.filter(sample => sample.name === name && sameLabels(sample.labels, labels))
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} with labels ${JSON.stringify(labels)}`)
  return matching[0]?.value
}

function sameLabels (a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every(key => a[key] === b[key])
}
