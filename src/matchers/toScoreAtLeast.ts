import type { MatcherState } from '@vitest/expect'
import { JUDGE_DIMENSIONS, type JudgeScoreCheck } from '../harness/goal/schema.ts'
import type { JudgeSubject } from '../harness/judge/index.ts'
import { recordMeasured } from './context.ts'

export type JudgeDimension = (typeof JUDGE_DIMENSIONS)[number]
export type { JudgeSubject }

export interface ScoreOptions {
  /** Check one dimension instead of the mean. */
  dimension?: JudgeDimension
}

/**
 * The judge's verdict meets a minimum: the mean of the four dimensions (computed by the harness),
 * one dimension (`{ dimension }`), or per-dimension minima (`{ correctness: 4, … }`).
 */
export function toScoreAtLeast(
  this: MatcherState,
  received: JudgeSubject,
  minimum: JudgeScoreCheck,
  options: ScoreOptions = {},
) {
  if (!received.judged) {
    return { pass: false, message: () => `no judge score: ${received.reason}` }
  }
  const { scores, mean } = received
  recordMeasured(this, {
    ...scores,
    mean,
    judgeModel: received.judgeModel,
    ...(received.flags ? { injectionFlags: received.flags } : {}),
  })
  const minima: [string, number, number][] =
    typeof minimum === 'number'
      ? [[options.dimension ?? 'mean', options.dimension ? scores[options.dimension] : mean, minimum]]
      : Object.entries(minimum).map(([dimension, min]) => [dimension, scores[dimension as JudgeDimension], min ?? 0])
  const shortfalls = minima
    .filter(([, value, min]) => value < min)
    .map(([name, value, min]) => `${name} ${+value.toFixed(2)} < ${min}`)
  const summary = `${JUDGE_DIMENSIONS.map((d) => `${d} ${scores[d]}`).join(', ')}; mean ${mean.toFixed(2)}`
  const why = JUDGE_DIMENSIONS.filter((d) => minima.some(([name]) => name === d || name === 'mean'))
    .map((d) => `  ${d}: ${received.reasons[d]}`)
    .join('\n')
  return {
    pass: shortfalls.length === 0,
    message: () =>
      this.isNot
        ? `expected the judge score to fall short, but ${summary}`
        : `judge score too low: ${shortfalls.join('; ')} (${summary})\n${why}`,
    actual: Object.fromEntries(minima.map(([name, value]) => [name, value])),
    expected: Object.fromEntries(minima.map(([name, , min]) => [name, `≥ ${min}`])),
  }
}
