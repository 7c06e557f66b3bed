import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { JUDGE_DIMENSIONS } from '../src/harness/judge/subject.ts'
import { agreement, calibration, quadraticKappa } from '../src/harness/report/judge-quality.ts'
import { appendRecord } from '../src/harness/results/store.ts'
import type { TrialRecord } from '../src/harness/results/schema.ts'
import { judgeVerdict, ROOT, tempDir } from './helpers.ts'

function judged(
  runId: string,
  model: string,
  goal: string,
  scores: number[],
  judge = 'judge-a',
  sample = 0,
): TrialRecord {
  return {
    schema: 'skilldelta.trial/1',
    runId,
    goal: { id: goal, hash: 'h', file: `${goal}.GOAL.md`, tier: 'tutorial' },
    model: { name: model, provider: 'fixture', requested: model, reported: model, params: null },
    condition: 'zero_shot',
    sample,
    status: 'ok',
    judge: judgeVerdict(scores, judge),
    checks: {},
    artifacts: { dir: 'x' },
    startedAt: 't',
  }
}

describe('quadratic-weighted Cohen κ', () => {
  // reference values computed independently with numpy (observed vs expected weighted disagreement)
  test.for([
    [[1, 2, 3, 4, 5], [1, 2, 3, 4, 4], 0.9411764705882353],
    [[1, 2, 3, 4, 5, 3, 2], [2, 2, 3, 5, 5, 3, 1], 0.88],
    [[1, 5, 1, 5], [5, 1, 5, 1], -1],
  ] as const)('%j vs %j → %d', ([a, b, expected]) => {
    expect(quadraticKappa([...a], [...b])).toBeCloseTo(expected, 10)
  })

  test('no items, or every rating in one category, leave κ undefined rather than invented', () => {
    expect(quadraticKappa([], [])).toBeUndefined()
    expect(quadraticKappa([3, 3], [3, 3])).toBeUndefined()
  })
})

describe('judge calibration on known-good and known-bad notebooks', () => {
  const records = [
    judged('r', 'oracle', 'g1', [5, 4]),
    judged('r', 'broken', 'g1', [2]),
    judged('r', 'oracle', 'g2', [4]),
    judged('r', 'broken', 'g2', [4]), // the judge cannot tell these apart
    judged('r', 'oracle', 'g3', [3]),
  ]

  test('per goal, the good and bad means; separated goals; AUC with ties as half', () => {
    const result = calibration(records, 'oracle', 'broken')
    expect(result.rows).toEqual([
      { goal: 'g1', good: 4.5, bad: 2 },
      { goal: 'g2', good: 4, bad: 4 },
      { goal: 'g3', good: 3, bad: undefined },
    ])
    expect(result).toMatchObject({ paired: 2, separated: 1 })
    // over the paired goals g1, g2 — good {4.5, 4} vs bad {2, 4}: 4.5 wins twice, 4 wins once and ties once → 3.5 of 4
    expect(result.auc).toBeCloseTo(3.5 / 4, 10)
  })

  test('agreement pairs the same trials across two runs and gives κ per dimension', () => {
    const a = [
      judged('a', 'm', 'g1', [1, 2, 3, 4]),
      judged('a', 'm', 'g2', [2, 3, 4, 5]),
      judged('a', 'm', 'g3', [5, 5, 5, 1]),
      judged('a', 'm', 'g4', [3, 1, 1, 2]),
    ]
    const b = [
      judged('b', 'm', 'g1', [1, 2, 3, 4], 'judge-b'),
      judged('b', 'm', 'g2', [2, 3, 4, 5], 'judge-b'),
      judged('b', 'm', 'g3', [5, 5, 5, 1], 'judge-b'),
      judged('b', 'm', 'g4', [3, 1, 1, 2], 'judge-b'),
      judged('b', 'm', 'g9', [1, 1, 1, 1], 'judge-b'), // not in the first run: unpaired
    ]
    // a cell whose notebook differs between the runs is not comparable
    const otherNotebook = judged('a', 'm', 'g5', [1])
    otherNotebook.judge!.digest = { hash: 'another', chars: 1, cells: 1, truncatedCells: 0 }
    const result = agreement([...a, otherNotebook], [...b, judged('b', 'm', 'g5', [5], 'judge-b')])
    expect(result.pairs).toBe(4)
    expect(result.differentNotebooks).toBe(1)
    expect(result.judges).toEqual(['judge-a', 'judge-b'])
    for (const d of JUDGE_DIMENSIONS) expect(result.kappa[d]).toBeCloseTo(1, 10)
  })

  test('the CLI prints the calibration table, and refuses a run without judgements', async () => {
    const results = path.join(tempDir('sd-judge-quality-'), 'results')
    for (const r of records) await appendRecord(results, r)
    await appendRecord(results, { ...judged('plain', 'm', 'g1', [3]), judge: undefined })
    const cli = (...args: string[]) =>
      execa('node', [path.join(ROOT, 'bin/skilldelta.mjs'), 'judge', ...args, '--results', results], { reject: false })
    const ok = await cli('calibrate', '--run', 'r', '--good', 'oracle', '--bad', 'broken')
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toContain('| g1 | 4.50 | 2.00 |')
    expect(ok.stdout).toContain('higher on 1 of 2 goals; AUC 0.88')
    const none = await cli('calibrate', '--run', 'plain')
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toContain('run plain has no judged trials')
  })
})
