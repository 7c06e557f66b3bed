import { z } from 'zod'
import { describeChoice, domainKind, labels, range, selector } from './domain.ts'

const FcSchema = z
  .object({
    signal: selector,
    variable_index: z.number().int().min(0).default(0),
    transient_ms: z.number().min(0).optional(),
    /** Pearson r between FC and the default structural weights of the connectivity (log10(1 + w)). */
    sc_correlation: range.optional(),
    sc_transform: z.enum(['log', 'raw']).optional(),
    /** Regions (labels) whose FC with every other region must stay within ±max_abs: a lesioned node. */
    near_zero: labels.optional(),
    max_abs: z.number().min(0).max(1).default(0.1),
  })
  .strict()
  .refine((p) => p.sc_correlation !== undefined || p.near_zero !== undefined, {
    message: 'give sc_correlation: [low, high] and/or near_zero: [region labels]',
  })

/** Functional connectivity computed from the simulated signal (never from a re-run). */
export const fc = domainKind<z.infer<typeof FcSchema>>({
  key: 'fc',
  summary: 'functional connectivity of a simulated signal: correlation with the structural weights, silent nodes',
  schema: FcSchema,
  roles: (p) => ({ signal: p.signal }),
  testName: (p) =>
    [
      `FC of ${describeChoice(p.signal)}`,
      p.sc_correlation ? `r(FC, SC) in [${p.sc_correlation[0]}, ${p.sc_correlation[1]}]` : '',
      p.near_zero ? `${p.near_zero.join(', ')} disconnected (|FC| ≤ ${p.max_abs})` : '',
    ]
      .filter(Boolean)
      .join(': '),
})
