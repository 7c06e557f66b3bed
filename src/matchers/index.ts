import { expect } from 'vitest'
import type { SignalSubject } from '../harness/analysis/select.ts'
import type { JudgeScoreCheck, SignalCheck } from '../harness/goal/schema.ts'
import { toExecute, type ExecutionSubject } from './toExecute.ts'
import { toHavePSDPeakIn, type PsdPeakOptions } from './toHavePSDPeakIn.ts'
import { toMatchSignal } from './toMatchSignal.ts'
import { toScoreAtLeast, type JudgeSubject, type ScoreOptions } from './toScoreAtLeast.ts'

export type { ExecutionSubject, JudgeSubject, PsdPeakOptions, ScoreOptions, SignalSubject }

expect.extend({ toExecute, toHavePSDPeakIn, toMatchSignal, toScoreAtLeast })

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
  }
  interface TaskMeta {
    /** Numbers behind the last skilldelta matcher's verdict in this test. */
    skilldeltaMeasured?: Record<string, unknown>
  }
}
