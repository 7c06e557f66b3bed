import { z } from 'zod'
import { describeChoice, domainKind, labels, range, selector } from './domain.ts'

const EvokedSchema = z
  .object({
    signal: selector,
    variable_index: z.number().int().min(0).default(0),
    onset_ms: z.number().min(0),
    regions: labels,
    window_ms: range.default([0, 500]),
    min_ratio: z.number().min(0).default(3),
    baseline_ms: z.number().positive().optional(),
    min_abs: z.number().min(0).optional(),
    /** Each listed region's peak response ≥ this × the median of the other regions' (the stimulus hit them). */
    min_vs_others: z.number().min(0).optional(),
  })
  .strict()

/** An evoked response: the listed regions answer a stimulus within a latency window. */
export const evoked = domainKind<z.infer<typeof EvokedSchema>>({
  key: 'evoked',
  summary: 'the listed regions respond to a stimulus within a latency window, well above their baseline',
  schema: EvokedSchema,
  roles: (p) => ({ signal: p.signal }),
  testName: (p) =>
    `${p.regions.join(', ')} respond ${p.window_ms[0]}–${p.window_ms[1]} ms after ${p.onset_ms} ms ` +
    `in ${describeChoice(p.signal)}`,
})
