import type { MatcherState } from '@vitest/expect'
import { JUDGE_DIMENSIONS, type JudgeScoreCheck } from '../harness/goal/schema.ts'
import { recordMeasured } from './context.ts'

export type JudgeDimension = (typeof JUDGE_DIMENSIONS)[number]

/** A judge's verdict: integer 1–5 per dimension. The harness, not the judge, computes the mean. */
export interface JudgeVerdict {
  scores: Record<JudgeDimension, number>
  reasons?: Partial<Record<JudgeDimension, string>>
  judgeModel?: string
}

export const meanScore = (verdict: JudgeVerdict): number =>
  JUDGE_DIMENSIONS.reduce((sum, d) => sum + verdict.scores[d], 0) / JUDGE_DIMENSIONS.length

export function toScoreAtLeast(this: MatcherState, received: JudgeVerdict, minimum: JudgeScoreCheck) {
  const mean = meanScore(received)
  recordMeasured(this, { ...received.scores, mean, ...(received.judgeModel ? { judgeModel: received.judgeModel } : {}) })
  const shortfalls =
    typeof minimum === 'number'
      ? mean < minimum
        ? [`mean ${mean.toFixed(2)} < ${minimum}`]
        : []
      : Object.entries(minimum)
          .filter(([dimension, min]) => received.scores[dimension as JudgeDimension] < (min ?? 0))
          .map(([dimension, min]) => `${dimension} ${received.scores[dimension as JudgeDimension]} < ${min}`)
  const scores = JUDGE_DIMENSIONS.map((d) => `${d} ${received.scores[d]}`).join(', ')
  return {
    pass: shortfalls.length === 0,
    message: () =>
      this.isNot ? `expected the judge score to fall short, but ${scores} (mean ${mean.toFixed(2)})` : `judge score too low: ${shortfalls.join('; ')} (${scores})`,
  }
}
