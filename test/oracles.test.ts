import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { checkKind } from '../src/harness/checks/registry.ts'
import { resolveSettings } from '../src/harness/config/settings.ts'
import { fastSubset, loadCatalog } from '../src/harness/oracles/catalog.ts'
import { ROOT, scratchProject } from './helpers.ts'

const CLI = path.join(ROOT, 'bin/skilldelta.mjs')
const settings = resolveSettings({}, ROOT, {})
const catalog = loadCatalog(settings)
const objective = (kind: string) => checkKind(kind).objective

describe('the shipped suite', () => {
  test('at least 40 goals in three tiers, every one with an oracle and objective checks beyond "it ran"', () => {
    expect(catalog.problems).toEqual([])
    const tiers = (tier: string) => catalog.entries.filter((e) => e.goal.tier === tier).length
    expect(catalog.entries.length).toBeGreaterThanOrEqual(40)
    expect(tiers('tutorial')).toBeGreaterThanOrEqual(20)
    expect(tiers('abstract')).toBeGreaterThanOrEqual(10)
    expect(tiers('research')).toBeGreaterThanOrEqual(10)
    for (const { goal, oracle } of catalog.entries) {
      expect(oracle, goal.id).toBeDefined()
      expect(goal.checks.filter((c) => objective(c.kind) && c.kind !== 'executes').length, goal.id).toBeGreaterThan(0)
    }
    // research goals cite their paper with a DOI and state its result
    for (const { goal } of catalog.entries.filter((e) => e.goal.tier === 'research')) {
      expect(goal.source ?? '', goal.id).toMatch(/doi:\s*10\.\d{4,}\//i)
      expect(Object.keys(goal.sections), goal.id).toContain('Expected Result')
    }
  })

  test('every objective check kind the goals use has a negative control that targets it', () => {
    const used = new Set(catalog.entries.flatMap((e) => e.goal.checks.map((c) => c.kind)).filter(objective))
    const targeted = new Set(catalog.entries.flatMap((e) => e.controls.flatMap((c) => c.targets)))
    expect([...used].filter((kind) => !targeted.has(kind))).toEqual([])
    // the fast subset keeps that coverage
    const fast = fastSubset(catalog.entries, objective)
    expect(new Set(fast.flatMap((e) => e.controls.flatMap((c) => c.targets)))).toEqual(targeted)
    expect(fast.length).toBeLessThan(catalog.entries.length / 2)
  })

  test('the fixture models’ scripts are generated from the goals and up to date', async () => {
    const result = await execa('node', [CLI, 'fixtures', '--check'], { cwd: ROOT, reject: false })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
  })

  test('`skilldelta suite` tabulates the suite by tier from the goals', async () => {
    const result = await execa('node', [CLI, 'suite', '--markdown'], { cwd: ROOT, reject: false })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(
      /^\| tier \| goals \| oracles \| controls \| objective check kinds \| oracle wall time \|/m,
    )
    expect(result.stdout).toMatch(/^\| tutorial \| \d+ \|/m)
    expect(result.stdout).toMatch(/^\| all \| \d+ \| \d+ \| \d+ \|/m)
  })
})

describe('the oracle bench', () => {
  test('fast subset: each oracle passes its objective checks, each control fails exactly its targets', async () => {
    const result = await execa('node', [CLI, 'oracles', '--fast'], { cwd: ROOT, reject: false, timeout: 1_500_000 })
    const output = result.stdout + result.stderr
    const summary =
      /oracles passing every objective check: (\d+)\/(\d+); controls failing exactly their targets: (\d+)\/(\d+)/.exec(
        output,
      )
    expect(summary, output.slice(-3000)).not.toBeNull()
    const [, good, oracles, caught, controls] = summary!.map(Number)
    expect(good).toBe(oracles)
    expect(caught).toBe(controls)
    expect(controls).toBeGreaterThanOrEqual(8)
    expect(result.exitCode, output.slice(-3000)).toBe(0)
  }, 1_600_000)

  test('a control that misses its target, and an orphan control, are reported', async () => {
    const goal = [
      '---',
      'checks:',
      '  executes: true',
      '  finite: true',
      '---',
      '# Goal: A finite signal',
      '',
      'Simulate anything.',
    ].join('\n')
    const sim = [
      '# %%',
      'import numpy as np',
      'from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator',
      'sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=connectivity.Connectivity.from_file(),',
      '    coupling=coupling.Linear(), integrator=integrators.HeunDeterministic(dt=0.5),',
      '    monitors=(monitors.TemporalAverage(period=2.0),), simulation_length=100.0).configure()',
      '(time, data), = sim.run()',
    ].join('\n')
    const project = scratchProject('oracle-bench', '{}', {
      'models.yaml': 'models:\n  - { name: m, provider: ollama, model: m }\n',
      'benchmarks/tutorial/finite_signal.GOAL.md': goal,
      'benchmarks/oracles/finite_signal.py': sim,
      // a "control" that is in fact correct: it must be caught not failing its target
      'benchmarks/controls/finite_signal__not_really_wrong.py': `# %% [markdown]\n# # Not really wrong\n# targets: finite\n\n${sim}\n`,
      'benchmarks/controls/finite_signal__no_target.py': `# %% [markdown]\n# # Forgot the targets line\n\n${sim}\n`,
    })
    const result = await execa('node', [CLI, 'oracles'], { cwd: project, reject: false, timeout: 600_000 })
    const output = result.stdout + result.stderr
    expect(result.exitCode).toBe(1)
    expect(output).toContain(
      'benchmarks/controls/finite_signal__no_target.py: its first cell names no target; add a line "# targets: <check kind>" (one of executes, finite)',
    )
    expect(output).toMatch(/finite_signal__not_really_wrong should fail its finite check/)
    expect(output).toMatch(/oracles passing every objective check: 1\/1; controls failing exactly their targets: 0\/1/)
  }, 620_000)
})
