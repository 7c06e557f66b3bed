// How wide a run goes against a provider with a hard concurrency cap: `npm run bench:throughput`.
// A loopback OpenAI-compatible server (the fixture server with a capacity) serves at most C calls at
// once, L seconds each, and answers 429 + Retry-After beyond that; a scratch project of 4 goals × 3
// conditions (12 trials, trivial notebooks, no cache, no judge) runs against it through the real
// `openai` provider, as `vitest run` does. Printed per scenario: wall time, the ideal N·L/C + one
// notebook's execution, their ratio, the most calls the server saw at once, its 429s, and the trials
// lost (infra_error, unfinished or missing). Figures, not assertions: the README quotes them.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { loadFixtureScript, startFixtureServer } from '../src/harness/models/fixture-server.ts'
import { terminalTable } from '../src/harness/report/table.ts'
import { readRun } from '../src/harness/results/store.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const project = path.join(root, 'test/.tmp/bench-throughput')
const GOALS = 4
const CONDITIONS = ['zero_shot', 'variant_a', 'variant_b']
const TRIALS = GOALS * CONDITIONS.length
const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 4)

interface Scenario {
  concurrency: number
  cap: number
  maxWorkers?: number
}
const SCENARIOS: Scenario[] = [
  { concurrency: 2, cap: 2 },
  { concurrency: 6, cap: 2 },
  { concurrency: 8, cap: 8 },
  { concurrency: 2, cap: 2, maxWorkers: 4 },
  { concurrency: 6, cap: 2, maxWorkers: 4 },
]

function writeProject(): void {
  rmSync(project, { recursive: true, force: true })
  mkdirSync(path.join(project, 'benchmarks/tutorial'), { recursive: true })
  const conditions = CONDITIONS.map((name) => (name === 'zero_shot' ? `'zero_shot'` : `{ name: '${name}' }`))
  writeFileSync(
    path.join(project, 'vitest.config.ts'),
    [
      `import { defineSkilldeltaConfig } from ${JSON.stringify(path.join(root, 'src/index.ts'))}`,
      // the notebooks import nothing: kernels started ahead preload nothing either (a TVB notebook's
      // kernel imports TVB while the model writes; here that would be CPU no notebook asked for)
      `export default defineSkilldeltaConfig({ conditions: [${conditions.join(', ')}], execution: { preload: [] } })`,
    ].join('\n'),
  )
  writeFileSync(path.join(project, 'trivial.py'), '# %%\nx = sum(range(10))\nprint(x)\n')
  writeFileSync(path.join(project, 'script.yaml'), 'replies:\n  - notebook: trivial.py\n')
  for (let g = 0; g < GOALS; g++)
    writeFileSync(
      path.join(project, `benchmarks/tutorial/goal_${g}.GOAL.md`),
      `---\nchecks:\n  executes: true\n---\n# Goal: Sum numbers (${g})\n\nSum the numbers below ten, print it.\n`,
    )
}

function models(url: string, concurrency: number): string {
  return [
    'models:',
    `  - { name: capped, provider: openai, base_url: "${url}", model: bench/capped, concurrency: ${concurrency},`,
    '      timeout_seconds: 60, strategy: single-shot }',
    '',
  ].join('\n')
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function run(scenario: Scenario, index: number): Promise<string[]> {
  const server = await startFixtureServer(
    { 'bench/capped': loadFixtureScript(path.join(project, 'script.yaml')) },
    { capacity: { concurrent: scenario.cap, latencyMs: LATENCY_S * 1000, retryAfterSeconds: 1 } },
  )
  const runId = `throughput-${index}`
  try {
    writeFileSync(path.join(project, 'models.yaml'), models(server.url, scenario.concurrency))
    const args = ['run', '--project', 'capped', ...(scenario.maxWorkers ? [`--maxWorkers=${scenario.maxWorkers}`] : [])]
    const started = performance.now()
    const result = await execa('node', [path.join(root, 'node_modules/vitest/vitest.mjs'), ...args], {
      cwd: project,
      env: { SKILLDELTA_CACHE: 'off', SKILLDELTA_RUN_ID: runId, SKILLDELTA_JUDGE: 'none' },
      reject: false,
      timeout: 900_000,
    })
    const wall = (performance.now() - started) / 1000
    const { records, unfinished } = await readRun(path.join(project, 'results'), runId)
    const lost = TRIALS - records.filter((r) => r.status !== 'infra_error').length
    const reasons = [...new Set(records.flatMap((r) => (r.status === 'infra_error' ? [r.error ?? ''] : [])))]
    const starts = records.map((r) => Date.parse(r.startedAt))
    const ends = records.map((r) => Date.parse(r.finishedAt ?? r.startedAt))
    const matrix = records.length ? (Math.max(...ends) - Math.min(...starts)) / 1000 : NaN
    const execution = median(records.flatMap((r) => (r.execution ? [r.execution.wallMs / 1000] : [])))
    const ideal = (TRIALS * LATENCY_S) / Math.min(scenario.concurrency, scenario.cap) + execution
    // the notebooks alone: N executions on the machine's cores, after the first reply
    const floor = LATENCY_S + (TRIALS * execution) / availableParallelism()
    const load = server.load()
    if (result.exitCode !== 0 && lost === 0)
      console.error(`${runId}: vitest exited ${result.exitCode}\n${result.stderr}`)
    const workers = scenario.maxWorkers ? `, --maxWorkers=${scenario.maxWorkers}` : ''
    return [
      `concurrency: ${scenario.concurrency}, cap ${scenario.cap}${workers}`,
      `${wall.toFixed(1)} s`,
      `${matrix.toFixed(1)} s`,
      `${ideal.toFixed(1)} s`,
      `${(matrix / ideal).toFixed(2)}`,
      `${floor.toFixed(1)} s`,
      `${(matrix / Math.max(ideal, floor)).toFixed(2)}`,
      String(load.peakInFlight),
      String(load.throttled),
      lost ? `${lost}${unfinished.length ? ` (${unfinished.length} unfinished)` : ''}: ${reasons.join('; ')}` : '0',
    ]
  } finally {
    await server.close()
  }
}

writeProject()
console.log(
  `${TRIALS} trials (${GOALS} goals × ${CONDITIONS.length} conditions), ${LATENCY_S} s per call, trivial notebooks, ` +
    'no cache, no judge; the server refuses calls beyond its cap with 429 + Retry-After: 1',
)
const rows: string[][] = []
for (const [index, scenario] of SCENARIOS.entries()) {
  rows.push(await run(scenario, index))
  console.log(rows.at(-1)!.join(' · '))
}
console.log(
  `\n${terminalTable([
    [
      'scenario',
      'wall',
      'matrix wall',
      'ideal N·L/C + execution',
      'matrix / ideal',
      'notebooks: L + N·E/cores',
      'matrix / max',
      'peak calls in flight',
      '429s',
      'trials lost',
    ],
    ...rows,
  ])}`,
)
console.log(
  '\nwall: the whole `vitest run` (start-up included); matrix wall: first trial planned → last trial finished; ' +
    'E: the median notebook execution of the scenario; when L + N·E/cores exceeds the ideal, the run is bound ' +
    'by notebook execution, not by the provider.',
)
rmSync(project, { recursive: true, force: true })
