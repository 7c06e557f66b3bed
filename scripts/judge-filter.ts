// Prints how the judge's grader-text filter does on the labelled set: `npm run bench:judge-filter`.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { filterQuality, formatFilterQuality } from '../src/harness/judge/filter-quality.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
for (const [name, file] of [
  ['the labelled set the filter was built with', 'injection-set.yaml'],
  ['the held-out set, written blind to the filter', 'injection-heldout.yaml'],
]) {
  console.log(`\n${name} (benchmarks/judge/${file}):`)
  console.log(formatFilterQuality(filterQuality(path.join(root, 'benchmarks/judge', file!))))
}
