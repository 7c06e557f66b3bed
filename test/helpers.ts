import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll } from 'vitest'
import { deriveLimits } from '../src/harness/config/limits.ts'
import type { ModelSpec } from '../src/harness/config/models.ts'
import { harnessPython, PACKAGE_ROOT, PYTHON_PACKAGE_DIR } from '../src/harness/config/paths.ts'
import type { Condition, RunSettings } from '../src/harness/config/settings.ts'
import type { Goal } from '../src/harness/goal/schema.ts'
import { ModelClient } from '../src/harness/models/client.ts'
import { strategyOf } from '../src/harness/models/providers/index.ts'
import { runTrial } from '../src/harness/trial/run.ts'
import { JUDGE_DIMENSIONS } from '../src/harness/judge/subject.ts'
import type { TrialRecord } from '../src/harness/results/schema.ts'
import { ownedTempDir, removeOwnedTempDirSync } from '../src/harness/util/temp-dirs.ts'

export const ROOT = PACKAGE_ROOT

/** A temporary directory removed after the file's tests. */
export function tempDir(prefix = 'sd-test-'): string {
  // afterAll when made while a file is collected; one made inside a test goes when the worker exits
  const dir = ownedTempDir(prefix)
  afterAll(() => removeOwnedTempDirSync(dir))
  return dir
}

type CellSpec = string | { markdown: string }

/** A valid nbformat 4.5 notebook as JSON text (code cells from strings). */
export function notebookJson(cells: CellSpec[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: cells.map((cell, index) =>
      typeof cell === 'string'
        ? { id: `c${index}`, cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: cell }
        : { id: `c${index}`, cell_type: 'markdown', metadata: {}, source: cell.markdown },
    ),
  })
}

/** Run Python with numpy in the harness venv (to build synthetic signals). */
export async function python(code: string): Promise<string> {
  const { stdout } = await execa(harnessPython(), ['-c', code], { env: { PYTHONPATH: PYTHON_PACKAGE_DIR } })
  return stdout
}

/** Save a synthetic (time_ms, data) series as the probe would. */
export async function writeSignal(
  file: string,
  expression: { time: string; data: string; setup?: string },
): Promise<string> {
  await python(
    [
      'import numpy as np',
      'rng = np.random.default_rng(0)',
      expression.setup ?? '',
      `time = ${expression.time}`,
      `data = ${expression.data}`,
      `np.savez(${JSON.stringify(file)}, time=time, data=data)`,
    ].join('\n'),
  )
  return file
}

/** Everything the executed notebook printed (stream outputs only, never the source). */
export function printed(executedNotebook: string | null): string {
  if (!executedNotebook) return ''
  const nb = JSON.parse(readFileSync(executedNotebook, 'utf8')) as {
    cells: { outputs?: { output_type: string; text?: string | string[] }[] }[]
  }
  return nb.cells
    .flatMap((cell) => cell.outputs ?? [])
    .filter((o) => o.output_type === 'stream')
    .map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')))
    .join('')
}

/**
 * A throwaway skilldelta project under test/.tmp (so it resolves this repo's node_modules): a
 * vitest.config.ts using the plugin with `options`, a models.yaml, and any other files.
 */
export function scratchProject(name: string, options: string, files: Record<string, string>): string {
  const dir = path.join(ROOT, 'test/.tmp', name)
  rmSync(dir, { recursive: true, force: true })
  const all: Record<string, string> = {
    'vitest.config.ts': [
      `import { defineSkilldeltaConfig } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`,
      `export default defineSkilldeltaConfig({ ...${options}, vitest: { test: { maxWorkers: 1 } } })`,
    ].join('\n'),
    ...files,
  }
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), text)
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A successful judgement for a test record: scores per dimension in JUDGE_DIMENSIONS order (cycled). */
export function judgeVerdict(scores: number[], judge = 'j'): NonNullable<TrialRecord['judge']> {
  const byDimension = Object.fromEntries(JUDGE_DIMENSIONS.map((d, i) => [d, scores[i % scores.length]!]))
  return {
    status: 'ok',
    model: { name: judge, requested: judge, reported: judge },
    rubric: { hash: 'h', version: '1', factsVersion: '1' },
    digest: { hash: 'd', chars: 1, cells: 1, truncatedCells: 0 },
    scores: byDimension,
    mean: Object.values(byDimension).reduce((a, b) => a + b, 0) / JUDGE_DIMENSIONS.length,
    flags: [],
    attempts: 1,
    tokensIn: null,
    tokensOut: null,
    latencyMs: 1,
    cache: 'miss',
  }
}

/** A model client for tests: no broker, the given fixture server, the settings' cache (default: off). */
export function testClient(
  fixtureUrl?: string,
  cache: RunSettings['cache'] = { mode: 'off', dir: tempDir('sd-cache-') },
) {
  return new ModelClient({ cache, ...(fixtureUrl ? { fixtureUrl } : {}) })
}

/** Run one trial as a worker would (limits derived from the goal and model), and read back its record. */
export async function trial(input: {
  goal: Goal
  model: ModelSpec
  condition: Condition
  sample?: number
  settings: RunSettings
  fixtureUrl?: string
  cache?: RunSettings['cache']
}) {
  const { goal, model } = input
  // tests resolve settings from an empty environment: keep them out of the user's cache unless they opt in
  const settings = { ...input.settings, cache: input.cache ?? { mode: 'off' as const, dir: tempDir('sd-cache-') } }
  const limits = deriveLimits({ goal, model, strategy: strategyOf(model), execution: settings.execution })
  const outcome = await runTrial({
    goal,
    model,
    condition: input.condition,
    sample: input.sample ?? 0,
    settings,
    limits,
    client: testClient(input.fixtureUrl, settings.cache),
  })
  return { ...outcome, dir: outcome.state.dir, record: outcome.state.value }
}

/** PIDs of live processes whose environment carries this sandbox marker (a kernel's, an execution's). */
export function processesWithMarker(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`SKILLDELTA_SANDBOX_MARKER=${marker}`)
      } catch {
        return false
      }
    })
    .map(Number)
}
