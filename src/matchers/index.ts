import { expect } from 'vitest'
import type { SignalSubject } from '../harness/analysis/select.ts'
import type { JudgeScoreCheck } from '../harness/checks/judge-score.ts'
import type { SignalCheck } from '../harness/checks/signal-shape.ts'
import type { Verdict } from '../harness/checks/types.ts'
import { toExecute, type ExecutionSubject } from './toExecute.ts'
import { toHavePSDPeakIn, type PsdPeakOptions } from './toHavePSDPeakIn.ts'
import { toMatchSignal } from './toMatchSignal.ts'
import { toScoreAtLeast, type JudgeDimension, type JudgeSubject, type ScoreOptions } from './toScoreAtLeast.ts'
import { matcherResult } from './verdict.ts'

/**
 * The skilldelta matchers. Each is a thin wrapper over a check kind's assessment in the registry
 * (src/harness/checks/): a hand-written test and a compiled GOAL.md reach the same verdict.
 */
export type {
  ExecutionSubject,
  JudgeDimension,
  JudgeScoreCheck,
  JudgeSubject,
  PsdPeakOptions,
  ScoreOptions,
  SignalCheck,
  SignalSubject,
  Verdict,
}

expect.extend({
  toExecute,
  toHavePSDPeakIn,
  toMatchSignal,
  toScoreAtLeast,
  /** Compiled GOAL.md checks assert the registry's verdict with this. */
  toPassCheck(received: Verdict) {
    return matcherResult(this, received)
  },
})

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- T must match Vitest's declaration
  interface Matchers<T = any> {
    /** Every code cell ran without error within the time limits (received: an execution report). */
    toExecute(): void
    /** The probed signal's mean Welch PSD peaks in [loHz, hiHz] with sustained, non-trivial activity. */
    toHavePSDPeakIn(loHz: number, hiHz: number, options?: PsdPeakOptions): Promise<void>
    /** The probed signal has the expected samples, regions and sampling period. */
    toMatchSignal(check?: Partial<SignalCheck>): void
    /** The judge's verdict meets a minimum mean score, one dimension's minimum, or per-dimension minima. */
    toScoreAtLeast(minimum: JudgeScoreCheck, options?: ScoreOptions): void
    /** A check verdict (from the registry) passed. */
    toPassCheck(): void
  }
}
