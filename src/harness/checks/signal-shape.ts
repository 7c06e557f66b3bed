import { z } from 'zod'
import { SignalSelectorSchema, type SignalSubject } from '../analysis/select.ts'
import type { CheckKind, Verdict } from './types.ts'

const SignalCheckSchema = z
  .object({
    signal: SignalSelectorSchema.default('auto'),
    min_samples: z.number().int().min(1).optional(),
    regions: z.number().int().min(1).optional(),
    period_ms: z.number().positive().optional(),
  })
  .strict()
export type SignalCheck = z.infer<typeof SignalCheckSchema>

/** Regions are axis 2 of TVB's (time, state-variable, region, mode) layout, axis 1 of (time, region). */
function regionsOf(shape: number[]): number {
  if (shape.length >= 3) return shape[2] ?? 1
  return shape[1] ?? 1
}

/** The probed signal has the expected samples, regions and sampling period. */
export function assessSignalShape(subject: SignalSubject, check: Partial<SignalCheck>): Verdict {
  if (!subject.found) {
    return {
      status: 'fail',
      message: `expected a simulated signal, but ${subject.reason}`,
      measured: { found: false, reason: subject.reason },
    }
  }
  const { signal, label } = subject
  const measured = {
    signal: label,
    samples: signal.samples,
    regions: regionsOf(signal.shape),
    periodMs: signal.dt_ms,
    shape: signal.shape,
  }
  const reasons: string[] = []
  if (check.min_samples !== undefined && signal.samples < check.min_samples) {
    reasons.push(`it has ${signal.samples} samples, fewer than ${check.min_samples}`)
  }
  if (check.regions !== undefined && measured.regions !== check.regions) {
    reasons.push(`it covers ${measured.regions} regions, not ${check.regions}`)
  }
  if (check.period_ms !== undefined && Math.abs(signal.dt_ms - check.period_ms) > 1e-6 * check.period_ms) {
    reasons.push(`it is sampled every ${signal.dt_ms} ms, not every ${check.period_ms} ms`)
  }
  const shape = `shape ${JSON.stringify(signal.shape)}`
  return reasons.length === 0
    ? { status: 'pass', message: `${label} matches the check (${shape}, period ${signal.dt_ms} ms)`, measured }
    : {
        status: 'fail',
        message: `expected ${label} to match the check, but ${reasons.join('; ')} (${shape})`,
        measured,
      }
}

function signalTestName(check: SignalCheck): string {
  const where = check.signal === 'auto' ? 'a simulated signal' : `signal ${check.signal.source ?? check.signal.monitor}`
  const needs = [
    check.min_samples !== undefined ? `≥ ${check.min_samples} samples` : '',
    check.regions !== undefined ? `${check.regions} regions` : '',
    check.period_ms !== undefined ? `period ${check.period_ms} ms` : '',
  ].filter(Boolean)
  return `has ${where}${needs.length ? ` with ${needs.join(', ')}` : ''}`
}

export const signalShape: CheckKind<SignalCheck> = {
  key: 'signal',
  summary: 'the notebook produced a simulated series with the expected samples, regions and period',
  schema: SignalCheckSchema,
  many: true,
  objective: true,
  needs: ['signal'],
  testName: signalTestName,
  assess: async (check, inputs) => assessSignalShape(await inputs.signal(check.signal), check),
}
