import { z } from 'zod'
import { describeChoice, domainKind, selector } from './domain.ts'

const RegimeSchema = z
  .object({
    signal: selector,
    variable_index: z.number().int().min(0).default(0),
    expect: z.enum(['oscillation', 'fixed_point']),
    transient_ms: z.number().min(0).optional(),
    min_std: z.number().min(0).default(1e-3),
    regions: z.array(z.string().min(1)).optional(),
  })
  .strict()

/** Which side of a bifurcation the simulation sits on: sustained oscillation or a fixed point. */
export const regime = domainKind<z.infer<typeof RegimeSchema>>({
  key: 'regime',
  summary: 'after the transient the signal oscillates (sustained) or rests at a fixed point',
  schema: RegimeSchema,
  roles: (p) => ({ signal: p.signal }),
  testName: (p) =>
    `${describeChoice(p.signal)} ${p.expect === 'oscillation' ? 'oscillates' : 'rests at a fixed point'}`,
})
