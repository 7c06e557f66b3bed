import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import {
  SignalSelectorSchema,
  variableWeights,
  withVariable,
  type SignalSubject,
} from '../src/harness/analysis/select.ts'
import { finite } from '../src/harness/checks/finite.ts'
import { CHECK_KINDS, checkKind, ChecksSchema, instantiateChecks } from '../src/harness/checks/registry.ts'
import type { CheckInputs } from '../src/harness/checks/types.ts'
import { compileGoal } from '../src/harness/goal/compile.ts'
import { TrialRecordSchema } from '../src/harness/results/schema.ts'
import { python, ROOT, scratchProject, tempDir, writeSignal } from './helpers.ts'

const dir = tempDir('sd-checks-')

describe('the check registry', () => {
  test('every kind has a unique key, a schema, a test name, and says what it needs', () => {
    const keys = CHECK_KINDS.map((k) => k.key)
    expect(new Set(keys).size).toBe(keys.length)
    for (const kind of CHECK_KINDS) {
      expect(kind.summary.length).toBeGreaterThan(10)
      expect(kind.needs.length).toBeGreaterThan(0)
      expect(checkKind(kind.key)).toBe(kind)
    }
    expect(() => checkKind('nope')).toThrow(/unknown check kind "nope" \(known: executes, /)
  })

  test('the frontmatter block is built from the registry: `true` means defaults, `false` turns a kind off', () => {
    const block = ChecksSchema.parse({ executes: false, finite: true, psd_peak: [{ band: [8, 12] }, { band: [1, 4] }] })
    const instances = instantiateChecks(block, (key, index) => (index ?? 0) + key.length)
    // the registry's order: sanity (finite) before the analyses that assume it
    expect(instances.map((c) => [c.id, c.kind, c.name])).toEqual([
      ['finite[0]', 'finite', 'finite, non-flat signal'],
      ['psd_peak[0]', 'psd_peak', 'PSD peak in 8–12 Hz'],
      ['psd_peak[1]', 'psd_peak', 'PSD peak in 1–4 Hz'],
    ])
    expect(instances[0]?.params).toEqual({ signal: 'auto', variable_index: 0, min_std: 1e-9 })
    expect(ChecksSchema.safeParse({ finite: { signal: 'auto', min_std: -1 } }).success).toBe(false)
  })
})

describe('finite: a kind added through the registry alone', () => {
  const inputs = (file: string): CheckInputs => ({
    execution: () => ({ executed: false, reason: 'unused' }),
    signal: async (): Promise<SignalSubject> => ({
      found: true,
      signal: {
        id: 'signal-0',
        source: 'd',
        kind: 'sim.run',
        names: ['d'],
        monitor: null,
        variables: [],
        shape: [2000, 3],
        samples: 2000,
        dt_ms: 1,
        start_ms: 0,
        duration_ms: 2000,
        file,
      },
      outDir: dir,
      label: 'd',
    }),
    judgement: async () => ({ judged: false, reason: 'unused' }),
    results: () => ({}),
    outDir: dir,
  })
  const assess = async (name: string, data: string) => {
    const file = await writeSignal(path.join(dir, `${name}.npz`), { time: 'np.arange(0, 2000, 1.0)', data })
    return finite.assess(finite.schema.parse({}), inputs(file))
  }

  test('a finite oscillation passes, with the numbers', async () => {
    const verdict = await assess('ok', 'np.sin(2*np.pi*10*time[:, None]/1000) * np.ones((1, 3))')
    expect(verdict).toMatchObject({ status: 'pass', measured: { nonFinite: 0, values: 6000, regions: 3 } })
  })

  test('a diverged simulation (NaN/Inf from some time on) fails and says when it diverged', async () => {
    const verdict = await assess(
      'nan',
      'np.where(time[:, None] >= 1500, np.nan, np.sin(time[:, None])) * np.ones((1, 3))',
    )
    expect(verdict.status).toBe('fail')
    expect(verdict.message).toMatch(/1500 of 6000 values are NaN or infinite \(from 1500 ms\)/)
  })

  test('a flat line fails, however finite', async () => {
    const verdict = await assess('flat', 'np.full((2000, 3), 0.25)')
    expect(verdict).toMatchObject({ status: 'fail', message: expect.stringContaining('it is flat') })
  })

  test('region-first data is refused, not misread', async () => {
    const verdict = await assess('transposed', 'np.zeros((3, 2000))')
    expect(verdict).toMatchObject({ status: 'fail', message: expect.stringContaining('time-first') })
  })

  test('it appears in compile output, in the Vitest result tree, and in trial.json', async () => {
    const goal = (title: string) => `---\nchecks:\n  finite: true\n---\n# Goal: ${title}\n\nSimulate a signal.\n`
    // real TVB runs (signals come only from Simulator.run): a healthy one, and one that blows up
    const notebook = (couplingA: number, dt: number) =>
      [
        '# %%',
        'import numpy as np',
        'from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator',
        'sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=connectivity.Connectivity.from_file(),',
        `    coupling=coupling.Linear(a=np.array([${couplingA}])),`,
        `    integrator=integrators.HeunStochastic(dt=${dt}, noise=noise.Additive(nsig=np.array([1e-3]))),`,
        '    monitors=(monitors.TemporalAverage(period=2.0),), simulation_length=200.0).configure()',
        '(time, data), = sim.run()',
        '',
      ].join('\n')
    const project = scratchProject('finite-kind', `{ conditions: ['zero_shot' as const] }`, {
      'models.yaml': 'models:\n  - { name: tiny, provider: fixture, model: t/tiny, script: script.yaml }\n',
      'script.yaml': [
        'replies:',
        '  - { when: { contains: "Goal: Good signal" }, notebook: good.py }',
        '  - { when: { contains: "Goal: Diverged signal" }, notebook: diverged.py }',
      ].join('\n'),
      'good.py': notebook(0.0042, 0.5),
      'diverged.py': notebook(50, 1.0),
      'benchmarks/tutorial/good.GOAL.md': goal('Good signal'),
      'benchmarks/tutorial/diverged.GOAL.md': goal('Diverged signal'),
    })
    const compiled = compileGoal(goal('Good signal'), path.join(project, 'benchmarks/tutorial/good.GOAL.md'), {
      runtimeImport: 'x',
    })
    expect(compiled.code).toContain(
      'test.sequential("finite, non-flat signal", (context) => trial.check(context, 1), trial.timeout(1))',
    )

    const report = path.join(dir, 'finite.json')
    const result = await execa(
      'node',
      [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`],
      { cwd: project, reject: false, env: { SKILLDELTA_RUN_ID: 'finite', CI: 'true', SKILLDELTA_JUDGE: '' } },
    )
    const json = JSON.parse(readFileSync(report, 'utf8')) as {
      testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[]
    }
    const statuses = Object.fromEntries(
      json.testResults.flatMap((f) =>
        f.assertionResults.map((a) => [`${path.basename(f.name)} › ${a.fullName}`, a.status]),
      ),
    )
    expect(statuses, result.stderr).toEqual({
      'good.GOAL.md › zero_shot executes': 'passed',
      'good.GOAL.md › zero_shot finite, non-flat signal': 'passed',
      'diverged.GOAL.md › zero_shot executes': 'passed',
      'diverged.GOAL.md › zero_shot finite, non-flat signal': 'failed',
    })
    const trial = (goal: string) => {
      const file = path.join(project, 'results/finite/tiny/zero_shot', `tutorial/${goal}`, 'sample-0/trial.json')
      expect(existsSync(file)).toBe(true)
      return TrialRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8')))
    }
    expect(trial('good').checks['finite[0]']).toMatchObject({
      kind: 'finite',
      objective: true,
      status: 'pass',
      measured: { nonFinite: 0, regions: 76 },
    })
    expect(trial('diverged').checks['finite[0]']).toMatchObject({ kind: 'finite', status: 'fail' })
    expect(trial('diverged').checks['finite[0]']?.measured?.nonFinite).toBeGreaterThan(1000)
  })
})

describe('domain kinds: probed signals by role, named results, the analysis in a clean process', () => {
  const probed = (file: string, variables: string[], shape: number[]): SignalSubject => ({
    found: true,
    signal: {
      id: 'signal-0',
      source: 'run',
      kind: 'sim.run',
      names: ['run'],
      monitor: 'TemporalAverage',
      variables,
      shape,
      samples: shape[0]!,
      dt_ms: 1,
      start_ms: 0,
      duration_ms: shape[0]! - 1,
      file,
    },
    outDir: dir,
    label: 'run (TemporalAverage)',
  })

  test('`variable: y1 - y2` is computed by the harness from the recorded variables, by name', async () => {
    expect(variableWeights('y1 - y2')).toEqual({ y1: 1, y2: -1 })
    expect(variableWeights('0.5*V + W - 2 * V')).toEqual({ V: -1.5, W: 1 })
    const file = await writeSignal(path.join(dir, 'jr.npz'), {
      time: 'np.arange(0, 100, 1.0)',
      // (time, variable, region, mode): y1 = 3, y2 = 1 everywhere
      data: 'np.stack([np.zeros((100, 2, 1)), np.full((100, 2, 1), 3.0), np.ones((100, 2, 1))], axis=1)',
    })
    const selector = { source: 'run', variable: 'y1 - y2' }
    expect(SignalSelectorSchema.safeParse(selector).success).toBe(true)
    expect(SignalSelectorSchema.safeParse({ source: 'run', variable: 'y1; import os' }).success).toBe(false)
    const derived = await withVariable(probed(file, ['y0', 'y1', 'y2'], [100, 3, 2, 1]), selector)
    expect(derived).toMatchObject({ found: true, label: 'run (TemporalAverage): y1 - y2' })
    if (!derived.found) return
    expect(derived.signal.shape).toEqual([100, 1, 2, 1])
    expect(derived.signal.file).not.toBe(file) // the probed file stays as recorded
    const values = await python(
      `import numpy as np\nprint(np.unique(np.load(${JSON.stringify(derived.signal.file)})["data"]))`,
    )
    expect(values.trim()).toBe('[2.]')
    // a variable the monitor did not record is a located reason, never a guess
    const missing = await withVariable(probed(file, ['V', 'W', 'X'], [100, 3, 2, 1]), selector)
    expect(missing).toMatchObject({
      found: false,
      reason: 'run (TemporalAverage) does not record the state variable y1 (its monitor recorded V, W, X)',
    })
  })

  test('a domain kind reads its roles and named results; a missing result fails naming the variable', async () => {
    const kind = checkKind('psd_shift')
    const fast = await writeSignal(path.join(dir, 'fast.npz'), {
      time: 'np.arange(0, 8000, 1.0)',
      data: 'np.sin(2*np.pi*12*time/1000)[:, None, None, None] * np.ones((1, 1, 4, 1)) + 0.01*np.random.default_rng(1).standard_normal((8000, 1, 4, 1))',
    })
    const slow = await writeSignal(path.join(dir, 'slow.npz'), {
      time: 'np.arange(0, 8000, 1.0)',
      data: 'np.sin(2*np.pi*7*time/1000)[:, None, None, None] * np.ones((1, 1, 4, 1)) + 0.01*np.random.default_rng(2).standard_normal((8000, 1, 4, 1))',
    })
    const inputs = (files: Record<string, string>): CheckInputs => ({
      execution: () => ({ executed: false, reason: 'unused' }),
      signal: async (choice) => probed(files[(choice as { source: string }).source]!, ['V'], [8000, 1, 4, 1]),
      judgement: async () => ({ judged: false, reason: 'unused' }),
      results: () => ({}),
      outDir: dir,
    })
    const params = kind.schema.parse({ from: { source: 'a' }, to: { source: 'b' }, direction: 'down', min_shift_hz: 3 })
    expect(await kind.assess(params, inputs({ a: fast, b: slow }))).toMatchObject({ status: 'pass' })
    const wrongWay = await kind.assess(params, inputs({ a: slow, b: fast }))
    expect(wrongWay.status).toBe('fail')
    const value = checkKind('value')
    const verdict = await value.assess(value.schema.parse({ result: 'peak_hz', range: [8, 12] }), inputs({}))
    expect(verdict).toMatchObject({
      status: 'fail',
      message: 'the notebook left no variable `peak_hz` (the goal asks for it)',
    })
  })
})
