import { z } from 'zod'
import { runAnalysis } from '../analysis/python.ts'
import { SignalSelectorSchema } from '../analysis/select.ts'
import type { CheckKind } from './types.ts'

const FiniteCheckSchema = z
  .object({
    signal: SignalSelectorSchema.default('auto'),
    variable_index: z.number().int().min(0).default(0),
    /** Below this largest regional standard deviation the signal counts as flat. */
    min_std: z.number().min(0).default(1e-9),
  })
  .strict()
type FiniteCheck = z.infer<typeof FiniteCheckSchema>

const StatsSchema = z.object({
  samples: z.number().int(),
  regions: z.number().int(),
  shape: z.array(z.number().int()),
  values: z.number().int(),
  nonFinite: z.number().int(),
  firstNonFiniteMs: z.number().nullable(),
  std: z.object({ median: z.number(), min: z.number(), max: z.number() }),
})

/** A diverged simulation (NaN/Inf) or a flat line is not a result, whatever else passes. */
export const finite: CheckKind<FiniteCheck> = {
  key: 'finite',
  summary: 'the simulated signal has no NaN or infinite values and is not flat',
  schema: FiniteCheckSchema,
  many: true,
  objective: true,
  needs: ['signal'],
  testName: (check) =>
    `finite, non-flat ${check.signal === 'auto' ? 'signal' : (check.signal.source ?? check.signal.monitor)}`,
  async assess(check, inputs) {
    const subject = await inputs.signal(check.signal)
    if (!subject.found) {
      return { status: 'fail', message: `no signal to check: ${subject.reason}`, measured: { found: false } }
    }
    const request = { signal: subject.signal.file, variableIndex: check.variable_index }
    const response = await runAnalysis('signal_stats', request, StatsSchema)
    if (!response.ok) {
      return { status: 'fail', message: `${subject.label} cannot be read: ${response.problem}`, measured: {} }
    }
    const stats = response.result
    const measured = { signal: subject.label, ...stats }
    const spread = stats.std.max.toExponential(2)
    const reasons = [
      stats.nonFinite > 0
        ? `${stats.nonFinite} of ${stats.values} values are NaN or infinite (from ${stats.firstNonFiniteMs} ms): ` +
          'the simulation diverged'
        : '',
      stats.std.max < check.min_std ? `it is flat (largest regional std ${spread})` : '',
    ].filter(Boolean)
    return reasons.length
      ? { status: 'fail', message: `${subject.label} is not a usable signal: ${reasons.join('; ')}`, measured }
      : {
          status: 'pass',
          message: `${subject.label}: ${stats.values} finite values, largest regional std ${spread}`,
          measured,
        }
  },
}
