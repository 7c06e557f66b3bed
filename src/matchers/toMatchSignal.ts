import type { MatcherState } from '@vitest/expect'
import type { SignalSubject } from '../harness/analysis/select.ts'
import type { SignalCheck } from '../harness/goal/schema.ts'
import { recordMeasured } from './context.ts'

/** Regions are axis 2 of TVB's (time, state-variable, region, mode) layout, axis 1 of (time, region). */
export function regionsOf(shape: number[]): number {
  if (shape.length >= 3) return shape[2] ?? 1
  return shape[1] ?? 1
}

export function toMatchSignal(this: MatcherState, received: SignalSubject, check: Partial<SignalCheck> = {}) {
  if (!received.found) {
    recordMeasured(this, { found: false, reason: received.reason })
    return { pass: false, message: () => `expected a simulated signal, but ${received.reason}` }
  }
  const { signal } = received
  const measured = {
    signal: received.label,
    samples: signal.samples,
    regions: regionsOf(signal.shape),
    periodMs: signal.dt_ms,
    shape: signal.shape,
  }
  recordMeasured(this, measured)
  const reasons: string[] = []
  if (check.min_samples !== undefined && signal.samples < check.min_samples)
    reasons.push(`it has ${signal.samples} samples, fewer than ${check.min_samples}`)
  if (check.regions !== undefined && measured.regions !== check.regions)
    reasons.push(`it covers ${measured.regions} regions, not ${check.regions}`)
  if (check.period_ms !== undefined && Math.abs(signal.dt_ms - check.period_ms) > 1e-6 * check.period_ms) {
    reasons.push(`it is sampled every ${signal.dt_ms} ms, not every ${check.period_ms} ms`)
  }
  return {
    pass: reasons.length === 0,
    message: () =>
      this.isNot
        ? `expected ${received.label} not to match, but it does (shape ${JSON.stringify(signal.shape)})`
        : `expected ${received.label} to match the check, but ${reasons.join('; ')} (shape ${JSON.stringify(signal.shape)})`,
  }
}
