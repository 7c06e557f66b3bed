import type { MatcherState } from '@vitest/expect'
import { assessScore, type JudgeScoreCheck } from '../harness/checks/judge-score.ts'
import type { JudgeDimension, JudgeSubject } from '../harness/judge/subject.ts'
import { matcherResult } from './verdict.ts'

export type { JudgeDimension, JudgeSubject }

export interface ScoreOptions {
  /** Check one dimension instead of the mean. */
  dimension?: JudgeDimension
}

/**
 * The judge's verdict meets a minimum: the mean of the four dimensions (computed by the harness),
 * one dimension (`{ dimension }`), or per-dimension minima (`{ correctness: 4, … }`).
 * A subject without a verdict fails (also when no judge was available: skip such tests yourself).
 */
export function toScoreAtLeast(
  this: MatcherState,
  received: JudgeSubject,
  minimum: JudgeScoreCheck,
  options: ScoreOptions = {},
) {
  const verdict = assessScore(received, minimum, options.dimension)
  const unjudged = verdict.status === 'skip'
  return matcherResult(
    this,
    unjudged ? { ...verdict, status: 'fail', message: `no judge score: ${verdict.message}` } : verdict,
  )
}
