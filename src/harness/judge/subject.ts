/** The judge's four dimensions, integers 1–5 each; the harness computes their mean. */
export const JUDGE_DIMENSIONS = ['correctness', 'code_quality', 'scientific_validity', 'token_efficiency'] as const
export type JudgeDimension = (typeof JUDGE_DIMENSIONS)[number]

/**
 * What a judge check receives: a verdict, or why there is none. `unavailable` means no judge can
 * grade in this run (none configured, its key missing): the check is skipped, never scored. Any
 * other missing verdict fails the check.
 */
export type JudgeSubject =
  | {
      judged: true
      scores: Record<JudgeDimension, number>
      mean: number
      reasons: Record<JudgeDimension, string>
      judgeModel: string
      flags: number
    }
  | { judged: false; reason: string; unavailable?: boolean }
