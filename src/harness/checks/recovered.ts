import { z } from 'zod'
import { domainKind, resultName } from './domain.ts'

const RecoveredSchema = z
  .object({
    result: resultName,
    /** The value used to simulate: a number, numbers, or a region label. */
    truth: z.union([z.number(), z.array(z.number()).min(1), z.string().min(1)]),
    tolerance: z.number().min(0).default(0),
  })
  .strict()

/** A fitting goal recovers the parameter it was simulated with. */
export const recovered = domainKind<z.infer<typeof RecoveredSchema>>({
  key: 'recovered',
  summary: 'a fitting notebook recovers the value it simulated with, within a tolerance',
  schema: RecoveredSchema,
  results: (p) => [p.result],
  testName: (p) =>
    `${p.result} recovers ${JSON.stringify(p.truth)}${typeof p.truth === 'string' ? '' : ` ± ${p.tolerance}`}`,
})
