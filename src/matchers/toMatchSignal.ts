import type { MatcherState } from '@vitest/expect'
import type { SignalSubject } from '../harness/analysis/select.ts'
import { assessSignalShape, type SignalCheck } from '../harness/checks/signal-shape.ts'
import { matcherResult } from './verdict.ts'

/** The probed signal has the expected samples, regions and sampling period (the `signal` check). */
export function toMatchSignal(this: MatcherState, received: SignalSubject, check: Partial<SignalCheck> = {}) {
  return matcherResult(this, assessSignalShape(received, check))
}
