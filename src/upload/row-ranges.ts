/** Inclusive ranges of row numbers, `[first, last]`. */
export type RowRange = [number, number]

/** Rows as few ranges: consecutive rows merge, the rest stay apart. */
export function rangesOf (rows: number[]): RowRange[] {
  const ranges: RowRange[] = []
  for (const row of rows) {
    const last = ranges[ranges.length - 1]
    if (last !== undefined && row === last[1] + 1) last[1] = row
    else ranges.push([row, row])
  }
  return ranges
}

/** A set of rows kept as sorted, merged ranges: a million accepted rows stay a handful of numbers. */
export class RowSet {
  private ranges: RowRange[] = []

  add (ranges: RowRange[]): void {
    if (ranges.length === 0) return
    const end = this.ranges[this.ranges.length - 1]?.[1] ?? -Infinity
    if (ranges.every((range, i) => range[0] > (i === 0 ? end : ranges[i - 1]![1]))) {
      // Rows arriving in file order (the common case) are appended without re-sorting everything.
      for (const [first, last] of ranges) {
        const previous = this.ranges[this.ranges.length - 1]
        if (previous !== undefined && first === previous[1] + 1) previous[1] = last
        else this.ranges.push([first, last])
      }
      return
    }
    const all = [...this.ranges, ...ranges.map(([first, last]) => [first, last] as RowRange)].sort((a, b) => a[0] - b[0])
    const merged: RowRange[] = []
    for (const range of all) {
      const last = merged[merged.length - 1]
      if (last !== undefined && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1])
      else merged.push(range)
    }
    this.ranges = merged
  }

  has (row: number): boolean {
    let low = 0
    let high = this.ranges.length - 1
    while (low <= high) {
      const middle = (low + high) >> 1
      const [first, last] = this.ranges[middle]!
      if (row < first) high = middle - 1
      else if (row > last) low = middle + 1
      else return true
    }
    return false
  }

  get size (): number {
    return this.ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0)
  }

  toJSON (): RowRange[] {
    return this.ranges
  }
}

/** `2–51, 60–99` for messages. */
export function describeRanges (ranges: RowRange[]): string {
  return ranges.map(([first, last]) => first === last ? String(first) : `${first}–${last}`).join(', ')
}
