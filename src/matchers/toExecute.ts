import type { MatcherState } from '@vitest/expect'
import { assessExecution } from '../harness/checks/executes.ts'
import type { ExecutionSubject } from '../harness/checks/types.ts'
import { matcherResult } from './verdict.ts'

export type { ExecutionSubject }

/** Every code cell ran without error within the time limits (the `executes` check). */
export function toExecute(this: MatcherState, received: ExecutionSubject) {
  return matcherResult(this, assessExecution(received))
}
