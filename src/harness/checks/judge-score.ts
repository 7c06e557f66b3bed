import { z } from 'zod'
import { JUDGE_DIMENSIONS, type JudgeDimension, type JudgeSubject } from '../judge/subject.ts'
import type { CheckKind, Verdict } from './types.ts'

export const DEFAULT_JUDGE_SCORE = 3
export const JUDGE_UNAVAILABLE = 'no judge in this run (why: the run warning and summary)'

const judgeScore = z.number().min(1).max(5)
const JudgeScoreCheckSchema = z.union([
  judgeScore,
  z.partialRecord(z.enum(JUDGE_DIMENSIONS), judgeScore).refine((r) => Object.keys(r).length > 0, {
    message: 'name at least one dimension, or give one number for the mean score',
  }),
])
export type JudgeScoreCheck = z.infer<typeof JudgeScoreCheckSchema>

/**
 * The judge's verdict meets a minimum: the mean of the four dimensions (computed by the harness),
 * one dimension (`dimension`), or per-dimension minima (`{ correctness: 4, … }`). No judge in this
 * run skips the check; a notebook that could not be judged fails it.
 */
export function assessScore(subject: JudgeSubject, minimum: JudgeScoreCheck, dimension?: JudgeDimension): Verdict {
  if (!subject.judged) {
    // why the judge is unavailable is said once per run (and in its summary), not under every skipped test
    return subject.unavailable
      ? { status: 'skip', message: JUDGE_UNAVAILABLE, measured: { judgeUnavailable: subject.reason } }
      : { status: 'fail', message: `no judge score: ${subject.reason}`, measured: {} }
  }
  const { scores, mean } = subject
  const minima: [string, number, number][] =
    typeof minimum === 'number'
      ? [[dimension ?? 'mean', dimension ? scores[dimension] : mean, minimum]]
      : Object.entries(minimum).map(([d, min]) => [d, scores[d as JudgeDimension], min ?? 0])
  const shortfalls = minima
    .filter(([, value, min]) => value < min)
    .map(([name, value, min]) => `${name} ${+value.toFixed(2)} < ${min}`)
  const summary = `${JUDGE_DIMENSIONS.map((d) => `${d} ${scores[d]}`).join(', ')}; mean ${mean.toFixed(2)}`
  const why = JUDGE_DIMENSIONS.filter((d) => minima.some(([name]) => name === d || name === 'mean'))
    .map((d) => `  ${d}: ${subject.reasons[d]}`)
    .join('\n')
  return {
    status: shortfalls.length === 0 ? 'pass' : 'fail',
    message:
      shortfalls.length === 0
        ? `judge score ${summary}`
        : `judge score too low: ${shortfalls.join('; ')} (${summary})\n${why}`,
    measured: {
      ...scores,
      mean,
      judgeModel: subject.judgeModel,
      ...(subject.flags ? { injectionFlags: subject.flags } : {}),
    },
    actual: Object.fromEntries(minima.map(([name, value]) => [name, value])),
    expected: Object.fromEntries(minima.map(([name, , min]) => [name, `≥ ${min}`])),
  }
}

function judgeTestName(check: JudgeScoreCheck): string {
  if (typeof check === 'number') return `judge score ≥ ${check}`
  const minima = Object.entries(check).map(([dimension, min]) => `${dimension} ≥ ${min}`)
  return `judge ${minima.join(', ')}`
}

export const judgeScoreCheck: CheckKind<JudgeScoreCheck> = {
  key: 'judge_score',
  summary: "the independent judge's mean (or per-dimension) score is at least the minimum",
  schema: JudgeScoreCheckSchema,
  many: false,
  objective: false,
  needs: ['judge'],
  testName: judgeTestName,
  assess: async (minimum, inputs) => assessScore(await inputs.judgement(), minimum),
}
