import { z } from 'zod'
import { describeChoice, domainKind, range, selector } from './domain.ts'

const PsdShiftSchema = z
  .object({
    from: selector,
    to: selector,
    direction: z.enum(['down', 'up']),
    min_shift_hz: z.number().min(0).default(0.5),
    variable_index: z.number().int().min(0).default(0),
    search_hz: range.default([2, 40]),
    transient_ms: z.number().min(0).optional(),
    min_std: z.number().min(0).optional(),
    min_decay_ratio: z.number().min(0).max(1).optional(),
  })
  .strict()

/** The dominant frequency moves between two conditions (e.g. slowing in a disease model). */
export const psdShift = domainKind<z.infer<typeof PsdShiftSchema>>({
  key: 'psd_shift',
  summary: 'the dominant frequency (Welch, as psd_peak) moves up or down by at least a minimum between two signals',
  schema: PsdShiftSchema,
  roles: (p) => ({ from: p.from, to: p.to }),
  testName: (p) =>
    `peak frequency ${p.direction === 'down' ? 'falls' : 'rises'} ≥ ${p.min_shift_hz} Hz ` +
    `from ${describeChoice(p.from)} to ${describeChoice(p.to)}`,
})
