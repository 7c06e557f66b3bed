import { z } from 'zod'
import { domainKind, range, resultName } from './domain.ts'

const ValueSchema = z.object({ result: resultName, range }).strict()

/** A named result of the notebook (e.g. the dominant frequency it reports) lies in a range. */
export const value = domainKind<z.infer<typeof ValueSchema>>({
  key: 'value',
  summary: 'a number the notebook leaves in a named variable lies in a range',
  schema: ValueSchema,
  results: (p) => [p.result],
  testName: (p) => `${p.result} in [${p.range[0]}, ${p.range[1]}]`,
})
