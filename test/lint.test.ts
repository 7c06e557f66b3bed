import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { codeIn } from '../src/harness/lint/markdown.ts'
import { ROOT, scratchProject } from './helpers.ts'

const CLI = path.join(ROOT, 'bin/skilldelta.mjs')
const lint = (cwd: string, ...args: string[]) =>
  execa('node', [CLI, 'lint', ...args], { cwd, reject: false, timeout: 600_000 })

describe('skilldelta lint', () => {
  test('the shipped goals and skills name only what the pinned TVB has, and every skill block runs', async () => {
    const result = await lint(ROOT)
    expect(result.stdout).toMatch(
      /TVB name\(s\) checked in \d+ goal\(s\) and \d+ skill\(s\); the Python blocks .*: no problems/,
    )
    expect(result.exitCode).toBe(0)
  }, 600_000)

  test('wrong names are reported at file:line with the nearest real name; a failing block at its line', async () => {
    const goal = [
      '---',
      'tier: tutorial',
      '---',
      '# Goal: Sensors',
      '',
      'Record with `monitors.SEEG` and a `models.JansenRit(mu=0.09, v_0=6.0)` model.',
      'Use the `Generic2DOscillator` and `integrators.HeunStochastic` (this one exists).',
      '',
      '```python',
      'from tvb.simulator.lab import models, noise',
      'n = noise.Additiv(nsig=1)',
      '```',
      'The old `connectivity.Connectivity(load_default=True)` raises. <!-- skilldelta-lint: ignore -->',
    ].join('\n')
    const skill = [
      '---',
      'name: broken-recipe',
      'description: A recipe whose code fails. Use when testing the linter.',
      '---',
      '# Recipe',
      '',
      '```python',
      'import numpy as np',
      '```',
      '',
      '```python',
      'x = np.arange(3)',
      'raise ValueError("the recipe is wrong")',
      '```',
    ].join('\n')
    const project = scratchProject('lint', '{}', {
      'models.yaml': 'models:\n  - { name: m, provider: ollama, model: m }\n',
      'benchmarks/tutorial/sensors.GOAL.md': goal,
      'skills/broken-recipe/SKILL.md': skill,
    })
    const result = await lint(project)
    expect(result.exitCode).toBe(1)
    const lines = result.stdout.split('\n')
    expect(lines).toContain(
      'benchmarks/tutorial/sensors.GOAL.md:6: `monitors.SEEG` does not exist; did you mean `monitors.iEEG`?',
    )
    expect(lines).toContain(
      'benchmarks/tutorial/sensors.GOAL.md:6: `models.JansenRit` has no parameter `v_0`; did you mean `v0`?',
    )
    expect(lines).toContain(
      'benchmarks/tutorial/sensors.GOAL.md:7: `Generic2DOscillator` is not a TVB class; did you mean `Generic2dOscillator`?',
    )
    expect(lines).toContain(
      'benchmarks/tutorial/sensors.GOAL.md:11: `noise.Additiv` does not exist; did you mean `noise.Additive`?',
    )
    expect(lines).toContain(
      'skills/broken-recipe/SKILL.md:12: this Python block fails on the pinned TVB (ValueError: the recipe is wrong)',
    )
    // real names, the ignored pitfall and `mu` (a JansenRit parameter) are not reported
    expect(result.stdout).not.toMatch(/HeunStochastic|load_default|`mu`/)
    expect(result.stdout).toMatch(/5 problem\(s\)/)
  }, 600_000)
})

describe('code in Markdown', () => {
  test('fenced blocks and inline spans with their lines; frontmatter skipped', () => {
    const items = codeIn('---\nname: `x`\n---\nText `a.b` and ``c`d``.\n\n~~~py\nprint(1)\n~~~\n')
    expect(items).toEqual([
      { kind: 'span', lang: '', line: 4, text: 'a.b' },
      { kind: 'span', lang: '', line: 4, text: 'c`d' },
      { kind: 'block', lang: 'py', line: 7, text: 'print(1)' },
    ])
  })
})
