import { z } from 'zod'
import { describeChoice, domainKind, selector } from './domain.ts'

const FcChangeSchema = z
  .object({
    from: selector,
    to: selector,
    direction: z.enum(['up', 'down']),
    min_change: z.number().min(0).default(0.02),
    variable_index: z.number().int().min(0).default(0),
    transient_ms: z.number().min(0).optional(),
    min_std: z.number().min(0).optional(),
  })
  .strict()

/** Mean functional connectivity goes up or down between two conditions (e.g. anodal vs sham). */
export const fcChange = domainKind<z.infer<typeof FcChangeSchema>>({
  key: 'fc_change',
  summary: 'mean off-diagonal functional connectivity goes up or down between two signals',
  schema: FcChangeSchema,
  roles: (p) => ({ from: p.from, to: p.to }),
  testName: (p) =>
    `mean FC ${p.direction === 'up' ? 'rises' : 'falls'} ≥ ${p.min_change} ` +
    `from ${describeChoice(p.from)} to ${describeChoice(p.to)}`,
})
