import path from 'node:path'
import { SourceMapConsumer } from 'source-map-js'
import { describe, expect, test } from 'vitest'
import { CHECK_KEYS } from '../src/harness/checks/registry.ts'
import { compileGoal } from '../src/harness/goal/compile.ts'
import { parseGoal, type GoalError } from '../src/harness/goal/parse.ts'
import { ROOT } from './helpers.ts'

const file = (relative: string) => path.join(ROOT, 'benchmarks', relative)

const frontmatterGoal = `---
id: tutorial/alpha
title: Alpha rhythm
tier: tutorial
keywords: [alpha, Welch]
timeout: 5m
checks:
  executes: true
  psd_peak:
    band: [8, 12]
    signal: { monitor: TemporalAverage }
  judge_score:
    correctness: 4
---
# Goal: Alpha rhythm

## Task
Simulate and find the alpha peak.
`

function parseError(source: string, at = 'tutorial/x.GOAL.md'): GoalError {
  const result = parseGoal(source, file(at))
  if (result.ok) throw new Error('expected a parse error')
  return result.error
}

describe('GOAL.md frontmatter', () => {
  test('parses a full frontmatter with checks, defaults and source lines', () => {
    const result = parseGoal(frontmatterGoal, file('tutorial/alpha.GOAL.md'))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const { goal } = result
    expect(goal).toMatchObject({
      id: 'tutorial/alpha',
      title: 'Alpha rhythm',
      tier: 'tutorial',
      timeoutSeconds: 300,
      keywords: ['alpha', 'Welch'],
    })
    const byId = Object.fromEntries(goal.checks.map((c) => [c.id, c]))
    expect(byId['psd_peak[0]']?.params).toEqual({
      band: [8, 12],
      signal: { monitor: 'TemporalAverage' },
      variable_index: 0,
      min_band_fraction: 0,
      min_std: 1e-6,
      min_decay_ratio: 0.5,
    })
    expect(byId.judge_score?.params).toEqual({ correctness: 4 })
    expect(goal.titleLine).toBe(15)
    expect(goal.checks.map((c) => [c.id, c.line])).toEqual([
      ['executes', 8],
      ['psd_peak[0]', 9],
      ['judge_score', 12],
    ])
    expect(goal.sections.Task).toBe('Simulate and find the alpha peak.')
  })

  test('a reversed band names the file, the line and the field', () => {
    const error = parseError(frontmatterGoal.replace('band: [8, 12]', 'band: [12, 8]'))
    expect(error.file).toBe(path.join('benchmarks', 'tutorial', 'x.GOAL.md'))
    expect(error.line).toBe(10)
    expect(error.field).toBe('checks.psd_peak.band')
    expect(error.message).toMatch(/x\.GOAL\.md:10:\d+: checks\.psd_peak\.band: band must be \[low, high\]/)
  })

  test('a misspelt top-level key is rejected with the known keys as the fix', () => {
    const error = parseError(frontmatterGoal.replace('keywords:', 'keywrods:'))
    expect(error.field).toBe('keywrods')
    expect(error.line).toBe(5)
    expect(error.fix).toContain('known keys here: id, title, tier')
  })

  test('an unknown check is rejected at its own line', () => {
    const error = parseError(frontmatterGoal.replace('  judge_score:\n    correctness: 4\n', '  psd_peek: 3\n'))
    expect(error.field).toBe('checks.psd_peek')
    expect(error.line).toBe(12)
    expect(error.fix).toContain(CHECK_KEYS.join(', ')) // every registered kind, finite included
  })

  test('a tier outside the enum lists the allowed values', () => {
    const error = parseError(frontmatterGoal.replace('tier: tutorial', 'tier: basic'))
    expect(error.field).toBe('tier')
    expect(error.line).toBe(4)
    expect(error.fix).toBe('use one of: tutorial, abstract, research')
  })

  test('a judge score out of range is located inside the nested map', () => {
    const error = parseError(frontmatterGoal.replace('correctness: 4', 'correctness: 7'))
    expect(error.field).toBe('checks.judge_score.correctness')
    expect(error.line).toBe(13)
  })

  test('research goals must cite a source', () => {
    const error = parseError(frontmatterGoal.replace('tier: tutorial', 'tier: research'))
    expect(error.field).toBe('source')
    expect(error.problem).toContain('cite')
  })

  test('broken YAML is reported at its line, not as a crash', () => {
    const error = parseError('---\nid: a\nchecks: [unclosed\n---\n# Goal: x\n')
    expect(error.problem).toContain('does not parse')
    expect(error.line).toBeGreaterThanOrEqual(3)
  })

  test('a goal outside a tier folder and without `tier` runs as untiered, with a warning that says how to fix it', () => {
    const result = parseGoal('# Goal: loose\n\nPrint 1.\n', file('misc/loose.GOAL.md'))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.goal.tier).toBe('untiered')
    expect(result.warnings).toEqual([{ line: 1, message: expect.stringContaining('add "tier:"') }])
    expect(result.origins.tier).toBe('no folder on its path names a tier')
  })
})

describe('plain-Markdown goals (no frontmatter)', () => {
  const plain = `# Goal: Summarise the connectome

## Scientific Question
Which regions are most connected?

## Expected Output
A table of the five strongest links.
`

  test('id from the file name, tier from the folder, default checks', () => {
    const result = parseGoal(plain, file('abstract/connectome_summary.GOAL.md'))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.goal).toMatchObject({
      id: 'abstract/connectome_summary',
      tier: 'abstract',
      title: 'Summarise the connectome',
      timeoutSeconds: 600,
    })
    expect(result.goal.checks.map((c) => [c.kind, c.params])).toEqual([
      ['executes', {}],
      ['judge_score', 3],
    ])
    expect(result.goal.sections['Scientific Question']).toBe('Which regions are most connected?')
    expect(result.goal.sections['Expected Output']).toBe('A table of the five strongest links.')
    expect(result.goal.titleLine).toBe(1)
  })

  test('the Task / Required Methods layout is read as well', () => {
    const result = parseGoal(
      '# Goal: BOLD\n\n## Task\nRun a BOLD monitor.\n\n## Required Methods\n- monitors.Bold\n',
      file('research/bold.GOAL.md'),
    )
    // research goals need a source; this one names none, and the error says so
    expect(result.ok).toBe(false)
    const tutorial = parseGoal(
      '# Goal: BOLD\n\n## Task\nRun a BOLD monitor.\n\n## Required Methods\n- monitors.Bold\n',
      file('tutorial/bold.GOAL.md'),
    )
    expect(tutorial.ok && tutorial.goal.sections['Required Methods']).toBe('- monitors.Bold')
  })
})

describe('compiling a GOAL.md into a test module', () => {
  const source = frontmatterGoal
  const compiled = compileGoal(source, file('tutorial/alpha.GOAL.md'), { runtimeImport: 'skilldelta/runtime' })

  test('one describe per condition (concurrent cells), one test per check (in order)', () => {
    expect(compiled.error).toBeUndefined()
    expect(compiled.code).toContain(`describe.for(runConditions())('%s', { concurrent: true }, (condition) => {`)
    // every check compiles to the same generic line; what it does lives in the check registry
    const tests = [
      ...compiled.code.matchAll(
        /^\s+test\.sequential\((.+?), \(context\) => trial\.check\(context, (\d)\), trial\.timeout\(\2\)\)$/gm,
      ),
    ]
    expect(tests.map((m) => m[1])).toEqual([
      `"executes"`,
      `"PSD peak in 8–12 Hz (TemporalAverage)"`,
      `"judge correctness ≥ 4"`,
    ])
    expect(compiled.code).toContain(`from "skilldelta/runtime"`)
  })

  test('the source map sends each check test to its line in the GOAL.md', () => {
    const consumer = new SourceMapConsumer(compiled.map)
    const lines = compiled.code.split('\n')
    const originalLine = (needle: string) => {
      const generated = lines.findIndex((l) => l.includes(needle)) + 1
      expect(generated).toBeGreaterThan(0)
      return consumer.originalPositionFor({ line: generated, column: 0 }).line
    }
    expect(originalLine(`trial.check(context, 0)`)).toBe(8) // executes: true
    expect(originalLine(`trial.check(context, 1)`)).toBe(9) // psd_peak:
    expect(originalLine(`trial.check(context, 2)`)).toBe(12) // judge_score:
    expect(originalLine(`describe.for(`)).toBe(15) // # Goal: heading
    expect(consumer.sourceContentFor(file('tutorial/alpha.GOAL.md'))).toBe(source)
  })

  test('a schema error compiles to a module that fails collection at the offending line', () => {
    const bad = compileGoal(source.replace('band: [8, 12]', 'band: [8]'), file('tutorial/alpha.GOAL.md'), {
      runtimeImport: 'x',
    })
    expect(bad.error?.field).toBe('checks.psd_peak.band')
    expect(bad.code).toMatch(/^throw error$/m)
    const consumer = new SourceMapConsumer(bad.map)
    const throwLine = bad.code.split('\n').indexOf('throw error') + 1
    expect(consumer.originalPositionFor({ line: throwLine, column: 0 }).line).toBe(bad.error?.line)
  })
})
