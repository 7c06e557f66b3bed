import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { baselineFrom, gate, writeBaseline } from '../src/harness/report/gate.ts'
import { seededRandom } from '../src/harness/report/stats.ts'
import type { TrialRecord } from '../src/harness/results/schema.ts'
import { appendRecord } from '../src/harness/results/store.ts'
import { judgeVerdict, ROOT, tempDir } from './helpers.ts'

const dir = tempDir('sd-gate-')
const GOALS = 12

/** Records whose objective score for goal g is `score(g)` (quantised to checks passed of 4). */
function run(runId: string, score: (goal: number) => number): TrialRecord[] {
  return Array.from({ length: GOALS }, (_, g) => {
    const passed = Math.max(0, Math.min(4, Math.round(score(g) * 4)))
    const checks = Object.fromEntries(
      [0, 1, 2, 3].map((i) => [`check${i}`, { status: i < passed ? ('pass' as const) : ('fail' as const), at: 't' }]),
    )
    return {
      schema: 'skilldelta.trial/1' as const,
      runId,
      goal: { id: `g${g}`, hash: 'h', file: `g${g}.GOAL.md`, tier: 'tutorial' },
      model: { name: 'm', provider: 'fixture', requested: 'm', reported: 'm', params: null },
      condition: 'with_skills',
      sample: 0,
      status: 'ok' as const,
      checks,
      artifacts: { dir: 'x' },
      startedAt: 't',
    }
  })
}

const difficulty = (g: number) => 0.25 + (0.5 * ((g * 7) % GOALS)) / GOALS
const baseline = baselineFrom(run('base', difficulty), 'base')

describe('the regression gate', () => {
  test('a clear drop on every goal is a regression', () => {
    const { regressions, rows } = gate(
      run('new', (g) => difficulty(g) - 0.5),
      baseline,
    )
    expect(regressions).toHaveLength(1)
    expect(rows[0]?.reason).toMatch(/the whole interval is below −0\.1/)
  })

  test('a small, mixed change is noise: reported, not failed', () => {
    const random = seededRandom(3)
    const { regressions, rows } = gate(
      run('new', (g) => difficulty(g) + (random() < 0.5 ? -0.25 : 0.25) * (g % 2)),
      baseline,
    )
    expect(regressions).toEqual([])
    expect(['noise', 'unchanged', 'improvement']).toContain(rows[0]?.verdict)
  })

  test('an improvement passes and says so', () => {
    const { regressions, rows } = gate(
      run('new', (g) => difficulty(g) + 0.5),
      baseline,
    )
    expect(regressions).toEqual([])
    expect(rows[0]?.verdict).toBe('improvement')
  })

  test('the CLI exits 1 with the reason on a regression, 0 otherwise, and writes gate.md', async () => {
    const results = path.join(dir, 'results')
    await writeBaseline(path.join(results, 'baseline.json'), baseline)
    for (const r of run('worse', (g) => difficulty(g) - 0.5)) await appendRecord(results, r)
    for (const r of run('better', (g) => difficulty(g) + 0.5)) await appendRecord(results, r)
    const cli = (...args: string[]) =>
      execa('node', [path.join(ROOT, 'bin/skilldelta.mjs'), ...args, '--results', results], { reject: false })
    const worse = await cli('gate', '--run', 'worse')
    expect(worse.exitCode).toBe(1)
    expect(worse.stderr).toMatch(/REGRESSION m \/ with_skills: Δ -0\.\d+ \[-0\.\d+, -0\.\d+\] over 12 goals/) // scores clip at 0
    const better = await cli('gate', '--run', 'better')
    expect(better.exitCode).toBe(0)
    expect(better.stdout).toContain('| m | with_skills | improvement |')
    const updated = await cli('baseline', 'update', '--run', 'better')
    expect(updated.exitCode).toBe(0)
    expect((await cli('gate', '--run', 'better')).stdout).toContain('| m | with_skills | unchanged |')
    expect((await cli('gate', '--run', 'missing')).exitCode).toBe(2)
  })

  test('a baseline made with the judge metric gates on judge scores, whatever the objective checks say', () => {
    // the same objective scores in both runs; the judge's mean drops by 2 points on every goal
    const judged = (runId: string, mean: (g: number) => number) =>
      run(runId, difficulty).map((r, g) => ({
        ...r,
        checks: { ...r.checks, judge_score: { status: 'pass' as const, at: 't' } },
        judge: { ...judgeVerdict([3]), mean: mean(g) },
      }))
    const judgeBaseline = baselineFrom(
      judged('base', (g) => 4 + (g % 2) * 0.5),
      'base',
      'judge',
    )
    expect(judgeBaseline.metric).toBe('judge')
    expect(
      gate(
        judged('new', (g) => 2 + (g % 2) * 0.5),
        judgeBaseline,
      ).regressions,
    ).toHaveLength(1)
    expect(
      gate(
        judged('new', (g) => 2 + (g % 2) * 0.5),
        baseline,
      ).regressions,
    ).toEqual([]) // objective: unchanged
  })

  test('a baseline with an unknown metric is refused with the fix', () => {
    expect(() => gate(run('new', difficulty), { ...baseline, metric: 'vibes' })).toThrow(
      /metric "vibes" is unknown .*skilldelta baseline update/,
    )
  })
})
