import type { MatcherState } from '@vitest/expect'
import type { Verdict } from '../harness/checks/types.ts'

/** A registry verdict as a Vitest matcher result (`.not` flips it, as for any matcher). */
export function matcherResult(state: MatcherState, verdict: Verdict) {
  const pass = verdict.status === 'pass'
  return {
    pass,
    message: () => (state.isNot && pass ? `expected the check to fail, but: ${verdict.message}` : verdict.message),
    ...(verdict.actual !== undefined ? { actual: verdict.actual } : {}),
    ...(verdict.expected !== undefined ? { expected: verdict.expected } : {}),
  }
}

/** Attach a verdict's files (a PSD plot) to the running test; shown in Vitest UI and the html report. */
export async function attachVerdict(state: MatcherState, verdict: Verdict): Promise<void> {
  type Annotate = (message: string, attachment: { path: string; contentType: string }) => Promise<unknown>
  const context = (state.task as { context?: { annotate?: Annotate } } | undefined)?.context
  for (const file of verdict.attachments ?? []) {
    await context?.annotate?.(file.title, { path: file.file, contentType: file.contentType })
  }
}
