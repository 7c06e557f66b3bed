import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { z } from 'zod'
import { neutralize } from './digest.ts'

const InjectionSetSchema = z
  .object({ benign: z.array(z.string()).min(1), attacks: z.array(z.string()).min(1) })
  .strict()

export interface FilterQuality {
  benign: number
  attacks: number
  /** Benign lines the filter changed. */
  falsePositives: string[]
  /** Attacks that reached the judge unchanged. */
  misses: string[]
}

/** How the grader-text filter does on a labelled set: what it wrongly removes, what it lets through. */
export function filterQuality(file: string): FilterQuality {
  const set = InjectionSetSchema.parse(parse(readFileSync(file, 'utf8')))
  return {
    benign: set.benign.length,
    attacks: set.attacks.length,
    falsePositives: set.benign.filter((text) => neutralize(text).removed.length > 0),
    misses: set.attacks.filter((text) => neutralize(text).removed.length === 0),
  }
}

export function formatFilterQuality(q: FilterQuality): string {
  const rate = (part: number, whole: number) => `${part}/${whole} (${((100 * part) / whole).toFixed(1)}%)`
  return [
    `false positives (benign lines changed): ${rate(q.falsePositives.length, q.benign)}`,
    ...q.falsePositives.map((t) => `  - ${JSON.stringify(t)}`),
    `misses (attacks let through):           ${rate(q.misses.length, q.attacks)}`,
    ...q.misses.map((t) => `  - ${JSON.stringify(t)}`),
  ].join('\n')
}
