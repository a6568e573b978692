/** The parsed form of an attribute-mapping expression (Graph's attributeMappingSource, plus what IIF needs). */
export type ExpressionNode =
  | { type: 'Function', name: string, args: Array<ExpressionNode | null>, position: number }
  | { type: 'Attribute', name: string, position: number }
  | { type: 'Constant', value: string, position: number }
  | { type: 'Number', value: number, position: number }
  /** A bare name used as a value: VB enum members such as vbTextCompare. */
  | { type: 'Identifier', name: string, position: number }
  | { type: 'Comparison', operator: ComparisonOperator, left: ExpressionNode, right: ExpressionNode, position: number }

export type ComparisonOperator = '=' | '<>' | '>' | '>=' | '<' | '<='

/** Entra's published cap on an attribute-mapping expression. */
export const MAX_EXPRESSION_LENGTH = 10_000

/** Where and why an expression cannot be read or run; `position` is 1-based. */
export class ExpressionError extends Error {
  constructor (readonly position: number, readonly reason: string) {
    super(`at character ${position}: ${reason}`)
  }
}
