import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { buildAblation } from '../src/harness/report/ablation.ts'
import { designForAll, pilotSources, planRow, statedSource } from '../src/harness/report/plan.ts'
import { goalsNeeded } from '../src/harness/report/stats.ts'
import type { TrialRecord } from '../src/harness/results/schema.ts'
import { ROOT, tempDir } from './helpers.ts'

const dir = tempDir('sd-plan-')

/** A pilot: goal g's with_skills samples and zero_shot samples (objective shares of 4 checks). */
function pilot(cells: [number[], number[]][]): TrialRecord[] {
  return cells.flatMap(([withSkills, without], g) =>
    (
      [
        ['with_skills', withSkills],
        ['zero_shot', without],
      ] as const
    ).flatMap(([condition, scores]) =>
      scores.map((score, sample) => ({
        schema: 'skilldelta.trial/1' as const,
        runId: 'pilot',
        goal: { id: `g${g}`, hash: 'h', file: 'x', tier: 't' },
        model: { name: 'm', provider: 'fixture', requested: 'm', reported: 'm', params: 8e9 },
        condition,
        sample,
        status: 'ok' as const,
        stage: 'finished' as const,
        checks: Object.fromEntries(
          [0, 1, 2, 3].map((i) => [
            `c${i}`,
            { status: i < score * 4 ? ('pass' as const) : ('fail' as const), at: 't' },
          ]),
        ),
        artifacts: { dir: 'x' },
        startedAt: 't',
      })),
    ),
  )
}

describe('plan before paying', () => {
  test('a stated sd: with ICC 1 more samples cannot help; with ICC 0.5 they halve the sample part', () => {
    const flat = planRow(statedSource(0.3, undefined), { effect: 0.1 })
    expect(flat.cells.map((c) => c.goals)).toEqual(Array(5).fill(goalsNeeded(0.1, 0.3)))
    expect(flat.cheapest).toBe(0)
    expect(flat.source.note).toMatch(/ICC not given/)
    const split = planRow(statedSource(0.3, 0.5), { effect: 0.1 })
    // σ²_d(m) = 0.045 + 0.045/m
    expect(split.cells[1]!.sdDiff).toBeCloseTo(Math.sqrt(0.045 + 0.0225), 12)
    expect(split.cells[1]!.goals).toBe(goalsNeeded(0.1, Math.sqrt(0.0675)))
    expect(split.cells[1]!.trials).toBe(2 * split.cells[1]!.goals * 2)
    expect(split.cells[4]!.goals).toBeLessThan(split.cells[0]!.goals)
  })

  test('from a pilot: the variance components of each comparison (hand-computed)', () => {
    // goals: with (1, 0.5) vs without (0.5, 0.5) → d 0.25; with (0.5, 0.5) vs (0, 0.5) → d 0.25;
    // with (1, 1) vs (0, 0) → d 1. Within: with pooled (0.125 + 0 + 0)/3, without (0 + 0.125 + 0)/3.
    const ablation = buildAblation(
      pilot([
        [
          [1, 0.5],
          [0.5, 0.5],
        ],
        [
          [0.5, 0.5],
          [0, 0.5],
        ],
        [
          [1, 1],
          [0, 0],
        ],
      ]),
    )
    const [source] = pilotSources(ablation)
    const within = 0.125 / 3
    // var(d) = var(0.25, 0.25, 1) = 0.1875; noise per goal (within/2 + within/2) = within
    expect(source!.sample).toBeCloseTo(2 * within, 12)
    expect(source!.goal).toBeCloseTo(0.1875 - within, 12)
    expect(source!.label).toBe('m · with_skills vs zero_shot')
  })

  test('one sample per cell in the pilot: the split is unknown and said so', () => {
    const ablation = buildAblation(
      pilot([
        [[1], [0.5]],
        [[0.5], [0.5]],
        [[0.75], [0]],
      ]),
    )
    expect(pilotSources(ablation)[0]).toMatchObject({ sample: 0, note: expect.stringMatching(/cannot be separated/) })
    expect(pilotSources(ablation, 0.25)[0]!.sample).toBeGreaterThan(0)
    const row = planRow(pilotSources(ablation)[0]!, { effect: 0.2 })
    expect(designForAll([row])).toEqual({ goals: row.cells[0]!.goals, samples: 1 })
  })

  test('`skilldelta plan` prints the goals × samples table and the cost; bad input is a usage error', async () => {
    const results = path.join(dir, 'results')
    mkdirSync(path.join(results, 'pilot'), { recursive: true })
    const records = pilot(
      Array.from({ length: 8 }, (_, g): [number[], number[]] => [
        [g % 4 === 0 ? 0.5 : 1, 0.75],
        [0.5, (g % 3) / 4],
      ]),
    )
    writeFileSync(path.join(results, 'pilot', 'records.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''))
    const cli = (...args: string[]) =>
      execa('node', [path.join(ROOT, 'bin/skilldelta.mjs'), 'plan', ...args], { cwd: dir, reject: false })
    const out = await cli('--effect', '0.1', '--from', 'pilot', '--results', results)
    expect(out.exitCode, out.stderr).toBe(0)
    expect(out.stdout).toContain('plan: goals × samples per cell for 80% power to detect Δ = 0.1')
    expect(out.stdout).toContain('variance from run pilot (objective checks passed (share))')
    expect(out.stdout).toMatch(/m · with_skills vs zero_shot\s+0\.\d\d\s+0\.\d\d\s+0\.\d\d\s+\d+ goals, \d+ trials/)
    expect(out.stdout).toMatch(/the whole matrix of the pilot \(2 model × condition cells\) would take \d+ trials/)
    const stated = await cli('--effect', '0.1', '--sd', '0.3', '--icc', '0.5', '--samples', '3')
    expect(stated.stdout).toContain('3 samples/cell')
    expect(stated.stdout).not.toContain('4 samples/cell')
    expect((await cli('--effect=-1', '--sd', '0.3')).stderr).toContain('--effect must be a positive number')
    expect((await cli('--effect', '0.1')).exitCode).toBe(2)
    expect((await cli('--effect', '0.1', '--from', 'nope', '--results', results)).stderr).toContain('no records')
  })
})
