import { z } from 'zod'
import { describeChoice, domainKind, labels, selector } from './domain.ts'

const SeizureSchema = z
  .object({
    signal: selector,
    variable_index: z.number().int().min(0).default(0),
    /** Epileptogenic zone: every region seizes, before any propagation-zone region. */
    ez: labels,
    pz: z.array(z.string().min(1)).default([]),
    /** others: no region outside ez and pz may seize. */
    quiet: z.enum(['others', 'none']).default('others'),
    /** A seizure is a crossing of `threshold` in `direction` (default: below 0, for the Epileptor's x2 − x1). */
    threshold: z.number().optional(),
    direction: z.enum(['below', 'above']).optional(),
    min_lead_ms: z.number().min(0).optional(),
    transient_ms: z.number().min(0).optional(),
  })
  .strict()

/** Seizure onset and propagation order (e.g. the Virtual Epileptic Patient). */
export const seizure = domainKind<z.infer<typeof SeizureSchema>>({
  key: 'seizure',
  summary: 'seizures start in the epileptogenic zone before the propagation zone; other regions stay quiet',
  schema: SeizureSchema,
  roles: (p) => ({ signal: p.signal }),
  testName: (p) =>
    `seizures in ${describeChoice(p.signal)}: ${p.ez.join(', ')} first` +
    `${p.pz.length ? `, then ${p.pz.join(', ')}` : ''}` +
    (p.quiet === 'others' ? '; others quiet' : ''),
})
