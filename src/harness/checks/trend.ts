import { z } from 'zod'
import { domainKind, resultName } from './domain.ts'

const TrendSchema = z
  .object({
    x: resultName,
    y: resultName,
    direction: z.enum(['increasing', 'decreasing']),
    min_spearman: z.number().min(0).max(1).default(0.8),
  })
  .strict()

/** A monotonic trend over a parameter sweep the notebook ran (named result arrays). */
export const trend = domainKind<z.infer<typeof TrendSchema>>({
  key: 'trend',
  summary: "over a parameter sweep, y rises or falls with x (Spearman's ρ beyond a minimum)",
  schema: TrendSchema,
  results: (p) => [p.x, p.y],
  testName: (p) => `${p.y} ${p.direction} with ${p.x} (ρ ≥ ${p.min_spearman})`,
})
