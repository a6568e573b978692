import type { RowProblem } from './row-validation.js'

/** Wording shared by the command's messages. */

export function rate (rows: number, seconds: number): string {
  return Math.round(rows / Math.max(seconds, 0.001)).toLocaleString('en-US')
}

export function count (n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`
}

export function describeDelimiter (delimiter: string): string {
  return delimiter === '\t' ? 'tab' : `"${delimiter}"`
}

/** `row 4, column UPN (userName): is empty; userName is required` */
export function describeProblem (problem: RowProblem): string {
  return `row ${problem.row}${problem.column !== undefined ? `, column ${problem.column}` : ''}${problem.attribute !== undefined ? ` (${problem.attribute})` : ''}: ${problem.reason}`
}

export async function write (stream: NodeJS.WriteStream, text: string): Promise<void> {
  await new Promise<void>(resolve => stream.write(text, () => resolve()))
}
