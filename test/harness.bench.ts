// Harness overhead figures: `npm run bench:harness`. Targets live here, not in timed tests.
// Expect on 2 cores: compile ≪ 1 ms; trivial notebook ≈ 1–1.5 s (kernel start dominates);
// PSD of 76 regions × 10 s ≈ 1 s (Python + scipy start-up dominates).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { bench, describe } from 'vitest'
import { measurePsd } from '../src/harness/analysis/psd.ts'
import { compileGoal } from '../src/harness/goal/compile.ts'
import { executeNotebook } from '../src/harness/notebook/execute.ts'
import { notebookJson, ROOT, tempDir, writeSignal } from './helpers.ts'

const dir = tempDir('sd-bench-')
const goalFile = path.join(ROOT, 'benchmarks/tutorial/analyze_power_spectra.GOAL.md')
const goalSource = readFileSync(goalFile, 'utf8')
const notebook = path.join(dir, 'trivial.ipynb')
writeFileSync(notebook, notebookJson(['x = sum(range(10))', 'print(x)']))
const signal = await writeSignal(path.join(dir, 'signal.npz'), {
  time: 'np.arange(0, 10000, 1.0)',
  data: 'np.sin(2*np.pi*10*time[:, None]/1000 + rng.uniform(0, 6.28, 76))[:, None, :, None]',
})

describe('compile', () => {
  bench('GOAL.md → test module + source map', () => {
    compileGoal(goalSource, goalFile, { runtimeImport: 'x' })
  })
})

describe('execute', () => {
  let n = 0
  bench('trivial notebook in the sandbox (kernel start → report)', async () => {
    n += 1
    await executeNotebook({ notebook, trialDir: path.join(dir, `run-${n}`), totalTimeoutSeconds: 60 })
  }, { iterations: 5, time: 0, warmupIterations: 1 })
})

describe('analysis', () => {
  bench('Welch PSD, 76 regions × 10 s at 1 kHz', async () => {
    await measurePsd({ signal, band: [8, 12] })
  }, { iterations: 5, time: 0, warmupIterations: 1 })
})
