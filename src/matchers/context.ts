import type { MatcherState } from '@vitest/expect'

/**
 * Measured values a matcher leaves on the running test, so the trial record and reporters
 * see the numbers behind a verdict (task.meta is serialised into reports).
 */
export function recordMeasured(state: MatcherState, measured: Record<string, unknown>): void {
  const task = state.task as { meta: Record<string, unknown> } | undefined
  if (task) task.meta.skilldeltaMeasured = measured
}

/** Attach a file (PSD plot, notebook) to the running test; shown in Vitest UI and the html report. */
export async function attach(state: MatcherState, message: string, file: string, contentType: string): Promise<void> {
  const context = (
    state.task as
      { context?: { annotate?: (m: string, a: { path: string; contentType: string }) => Promise<unknown> } } | undefined
  )?.context
  await context?.annotate?.(message, { path: file, contentType })
}
