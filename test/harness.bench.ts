// Harness overhead figures: `npm run bench:harness`. Targets live here, not in timed tests.
// Expect on 2 cores: compile ≪ 1 ms; trivial notebook on a kernel started for it ≈ 1–1.5 s (kernel start
// dominates; a trial's kernel is started ahead: scripts/bench-harness.ts, the first half of the command);
// PSD of 76 regions × 10 s ≈ 0.1–0.2 s (one long-lived analysis process: no Python start per check);
// judge digest of a 40-cell notebook ≈ 2 ms; notebook → sanitised HTML ≈ 0.7 s (nbconvert start-up dominates).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { bench, describe } from 'vitest'
import { measurePsd } from '../src/harness/analysis/psd.ts'
import { compileGoal } from '../src/harness/goal/compile.ts'
import { digestNotebook } from '../src/harness/judge/digest.ts'
import { executeNotebook } from '../src/harness/notebook/execute.ts'
import { renderNotebookHtml } from '../src/harness/notebook/render.ts'
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
  bench(
    'trivial notebook in the sandbox (kernel start → report)',
    async () => {
      n += 1
      await executeNotebook({ notebook, trialDir: path.join(dir, `run-${n}`), totalTimeoutSeconds: 60 })
    },
    { iterations: 5, time: 0, warmupIterations: 1 },
  )
})

describe('analysis', () => {
  bench(
    'Welch PSD, 76 regions × 10 s at 1 kHz',
    async () => {
      await measurePsd({ signal, band: [8, 12] })
    },
    { iterations: 5, time: 0, warmupIterations: 1 },
  )
})

// a notebook of 40 code cells with long sources and outputs: what a driver/navigator episode leaves
const bigCells = Array.from(
  { length: 40 },
  (_, i) => `# cell ${i}\n${'x = np.arange(1000) * 2  # some work\n'.repeat(60)}print(x.sum())`,
)
const bigNotebook = JSON.parse(notebookJson(bigCells)) as { cells: { outputs?: unknown[] }[] }
for (const cell of bigNotebook.cells)
  cell.outputs = [{ output_type: 'stream', name: 'stdout', text: 'value\n'.repeat(400) }]
const bigJson = JSON.stringify(bigNotebook)
const bigReports = bigCells.map((source, index) => ({
  index,
  cellType: 'code',
  status: 'ok' as const,
  sourceExcerpt: source.slice(0, 80),
}))

describe('judge and reports', () => {
  bench('judge digest: 40 cells, 40 000-character budget (neutralise + head/tail)', () => {
    digestNotebook(bigJson, bigReports, { maxChars: 40_000 })
  })
  let n = 0
  bench(
    'executed notebook → sanitised HTML (nbconvert in the sandbox)',
    async () => {
      n += 1
      await renderNotebookHtml(notebook, path.join(dir, `render-${n}.html`), 'auto')
    },
    { iterations: 5, time: 0, warmupIterations: 1 },
  )
})
