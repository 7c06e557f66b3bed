import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import type { TestSpecification, Vitest } from 'vitest/node'
import { buildAblation, buildReport, formatMarkdown, objectiveScore } from '../src/harness/report/ablation.ts'
import { buildGrid, formatGridMarkdown } from '../src/harness/report/grid.ts'
import { drawCharts } from '../src/harness/report/chart.ts'
import { MatrixSequencer } from '../src/harness/runtime/sequencer.ts'
import type { TrialRecord } from '../src/harness/results/schema.ts'
import { appendRecord, readRecordFiles, readRun, recordsFile } from '../src/harness/results/store.ts'
import { judgeVerdict, ROOT, tempDir } from './helpers.ts'

const dir = tempDir('sd-ablation-')

function record(
  model: string,
  condition: string,
  goal: string,
  status: TrialRecord['status'],
  checks: Record<string, 'pass' | 'fail' | 'skip'>,
  sample = 0,
): TrialRecord {
  return {
    schema: 'skilldelta.trial/1',
    runId: 'r1',
    goal: { id: goal, hash: 'h', file: `benchmarks/${goal}.GOAL.md`, tier: 'tutorial' },
    model: { name: model, provider: 'fixture', requested: model, reported: model, params: 14e9 },
    condition,
    sample,
    status,
    checks: Object.fromEntries(Object.entries(checks).map(([name, s]) => [name, { status: s, at: 't' }])),
    ...(status === 'ok' || status === 'execution_failed'
      ? {
          execution: {
            status: status === 'ok' ? 'ok' : 'cell_error',
            isolated: true,
            wallMs: 1,
            cellsRun: 1,
            codeCells: 1,
            firstError: null,
          },
        }
      : {}),
    artifacts: { dir: 'x' },
    startedAt: 't',
  }
}

describe('trial scores', () => {
  test('a share of objective checks, or a status; the judge check never counts here', () => {
    expect(
      objectiveScore(record('m', 'c', 'g', 'ok', { executes: 'pass', 'psd_peak[0]': 'fail', judge_score: 'skip' })),
    ).toBe(0.5)
    expect(objectiveScore(record('m', 'c', 'g', 'execution_failed', { executes: 'fail', 'psd_peak[0]': 'fail' }))).toBe(
      0,
    )
    expect(objectiveScore(record('m', 'c', 'g', 'generation_failed', { executes: 'fail' }))).toBe('failed')
    expect(objectiveScore(record('m', 'c', 'g', 'infra_error', {}))).toBe('infra')
  })
})

describe('the ablation table', () => {
  // model m: zero_shot scores g1 0.5, g2 0 (failed generation); with_skills g1 1.0, g2 0.5 (two samples: 1 and 0)
  const records = [
    record('m', 'zero_shot', 'g1', 'ok', { executes: 'pass', psd: 'fail' }),
    record('m', 'zero_shot', 'g2', 'generation_failed', { executes: 'fail' }),
    record('m', 'with_skills', 'g1', 'ok', { executes: 'pass', psd: 'pass' }),
    record('m', 'with_skills', 'g2', 'ok', { executes: 'pass' }, 0),
    record('m', 'with_skills', 'g2', 'execution_failed', { executes: 'fail' }, 1),
    record('m', 'with_skills', 'g3', 'infra_error', {}),
  ]

  test('known answers: means under both conventions, success rate, paired Δ', () => {
    const { rows } = buildAblation(records)
    const [base, skills] = rows
    expect(base).toMatchObject({
      condition: 'zero_shot',
      goals: 2,
      trials: 2,
      successRate: 0.5,
      meanFailuresZero: 0.25,
      meanSuccesses: 0.5,
    })
    expect(skills).toMatchObject({
      condition: 'with_skills',
      goals: 3,
      trials: 4,
      infra: 1,
      successRate: 1,
      meanSuccesses: 0.75,
      meanFailuresZero: 0.75,
    })
    // failures as 0: g1 1.0−0.5, g2 0.5−0 → Δ = 0.5; g3 has only an infra failure: unpaired
    expect(skills?.delta).toMatchObject({ delta: 0.5, n: 2, unpaired: 1 })
    // normalised gain: the baseline left 1 − 0.25 of headroom on the paired goals; Δ closed two thirds of it
    expect(skills?.gain).toBeCloseTo(0.5 / 0.75, 10)
    // successes only: g2 has no success at zero_shot → only g1 pairs: Δ = 0.5
    expect(skills?.deltaSuccesses).toMatchObject({ delta: 0.5, n: 1 })
  })

  test('the per-goal grid shows where Δ comes from', () => {
    const table = formatGridMarkdown(buildGrid(records, objectiveScore, 'objective', 'zero_shot'))
    expect(table).toContain('| Goal | Skills vs baseline | m · zero_shot | m · with_skills |')
    // records without a prompt count as "with skills" by the condition's name
    expect(table).toContain('| g1 | better: m · with_skills +0.50 | 0.50 ok | 1.00 ok |')
    expect(table).toContain('| g2 | better: m · with_skills +0.50 | 0.00 gen | 0.50 exec ok |')
    expect(table).toContain('| g3 | — |  | — infra |') // only an infra failure: no score, no zero
  })

  test('the Δ chart is drawn from ablation.json', async () => {
    const json = path.join(dir, 'ablation.json')
    writeFileSync(json, JSON.stringify(buildReport(records)))
    const png = { delta: path.join(dir, 'ablation.png'), size: path.join(dir, 'size.png') }
    expect(await drawCharts(json, png)).toEqual([png.delta, png.size])
    expect(readFileSync(png.delta).subarray(1, 4).toString()).toBe('PNG')
  })

  test('Markdown for job summaries and PRs', () => {
    const markdown = formatMarkdown(buildAblation(records))
    expect(markdown).toContain(
      '| Model | Params | Condition | Goals | Samples | Produced | Ran OK | Infra | Mean (fail=0) | Mean (successes) | Δ vs zero_shot [95% CI] | p (Holm) | ICC | MDE | Gain |',
    )
    // zero_shot: one of two trials produced a notebook and it ran; with_skills: 3 of 3 produced, 2 ran cleanly, 1 infra
    expect(markdown).toContain('| m | 14B | zero_shot | 2 |  | 50% | 50% | 0 | 0.25 | 0.50 | (baseline) |  |')
    // g1: one sample a side, g2: two with skills and one without → 1.25 samples per cell
    expect(markdown).toMatch(
      /\| m \| 14B \| with_skills \| 3 \| 1\.3 \| 100% \| 67% \| 1 \| 0\.75 \| 0\.75 \| \+0\.50 \[/,
    )
    expect(markdown).not.toContain('judge')
  })
})

describe('the judge tables', () => {
  const judged = (r: TrialRecord, scores: [number, number, number, number]): TrialRecord => ({
    ...r,
    checks: { ...r.checks, judge_score: { status: 'pass', at: 't' } },
    judge: judgeVerdict(scores),
  })
  const ok = (condition: string, goal: string) => record('m', condition, goal, 'ok', { executes: 'pass' })
  const records: TrialRecord[] = [
    judged(ok('zero_shot', 'g1'), [2, 3, 2, 3]), // mean 2.5
    judged(ok('zero_shot', 'g2'), [3, 3, 3, 3]), // 3
    record('m', 'zero_shot', 'g3', 'generation_failed', { executes: 'fail', judge_score: 'fail' }), // failed: 0 under failures-as-0
    judged(ok('with_skills', 'g1'), [4, 4, 3, 5]), // 4
    judged(ok('with_skills', 'g2'), [4, 3, 4, 5]), // 4
    {
      ...record('m', 'with_skills', 'g3', 'ok', { executes: 'pass', judge_score: 'fail' }),
      status: 'judge_error' as const,
      judge: {
        ...judgeVerdict([1]),
        status: 'error' as const,
        scores: undefined,
        mean: undefined,
        error: { kind: 'invalid', message: 'no valid judgement' },
      },
    }, // executed, no judgement: excluded
    record('m', 'with_skills', 'g4', 'ok', { executes: 'pass' }), // the goal has no judge check: not in the judge tables at all
    record('m', 'zero_shot', 'g4', 'ok', { executes: 'pass', judge_score: 'skip' }), // no judge in that run: likewise
  ]
  const report = buildReport(records)

  test('judge mean and per-dimension Δ are paired by goal; a judge_error is excluded and counted apart', () => {
    const [base, skills] = report.judge!.rows
    expect(base).toMatchObject({ condition: 'zero_shot', meanSuccesses: 2.75, meanFailuresZero: (2.5 + 3 + 0) / 3 })
    expect(skills).toMatchObject({ condition: 'with_skills', meanSuccesses: 4, infra: 1 })
    // paired over g1, g2 (g3 has no with_skills score): (4 − 2.5 + 4 − 3) / 2
    expect(skills!.delta).toMatchObject({ delta: 1.25, n: 2, unpaired: 1 })
    expect(skills!.gain).toBeCloseTo(1.25 / (5 - 2.75), 10) // on the judge's 1–5 scale
    expect(report.dimensions!.correctness!.rows[1]!.deltaSuccesses).toMatchObject({ delta: (4 - 2 + 4 - 3) / 2, n: 2 })
    expect(report.dimensions!.token_efficiency!.rows[1]!.deltaSuccesses).toMatchObject({ delta: 2, n: 2 })
    expect(report.judgeErrors).toBe(1)
    expect(report.judge!.rows.map((r) => r.goals)).toEqual([3, 3])
    // the objective table counts every trial, the judge_error one too: it executed
    expect(report.rows[1]).toMatchObject({
      condition: 'with_skills',
      goals: 4,
      trials: 4,
      infra: 0,
      meanFailuresZero: 1,
    })
  })

  test('Markdown carries the judge table, the dimensions and the judge errors', () => {
    const markdown = formatMarkdown(report)
    expect(markdown).toContain('**Score: judge score (mean of 4 dimensions, 1–5)** (independent judge)')
    expect(markdown).toContain(
      '| Model | Condition | correctness | code_quality | scientific_validity | token_efficiency |',
    )
    expect(markdown).toMatch(/\| m \| with_skills \| 4\.00 \(Δ \+1\.50 \[[^\]]+\]\) \| 3\.50 \(Δ \+0\.50/)
    expect(markdown).toContain('Judge errors: 1 trial(s) could not be judged')
  })

  test('the chart gets a second panel for the judge', async () => {
    const json = path.join(dir, 'judged.json')
    writeFileSync(json, JSON.stringify(report))
    const delta = async (name: string) =>
      readFileSync((await drawCharts(json, { delta: path.join(dir, name), size: path.join(dir, `size-${name}`) }))[0]!)
    const png = await delta('judged.png')
    writeFileSync(json, JSON.stringify(buildAblation(records)))
    const single = await delta('single.png')
    const height = (image: Buffer) => image.readUInt32BE(20) // PNG IHDR
    expect(height(png)).toBe(2 * height(single))
  })
})

describe('the results store', () => {
  test('concurrent appends never interleave; a torn last line is skipped', async () => {
    const results = path.join(dir, 'results')
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        appendRecord(results, { ...record('m', 'zero_shot', `g${i}`, 'ok', { executes: 'pass' }), runId: 'run' }),
      ),
    )
    const file = recordsFile(results, 'run')
    appendFileSync(file, '{"schema":"skilldelta.trial/1","runId":"run","goal":{"id"') // a write cut short
    const { records: read, skipped } = await readRecordFiles([file])
    expect(read).toHaveLength(40)
    expect(skipped).toBe(1)
    expect(new Set(read.map((r) => r.goal.id)).size).toBe(40)
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(41)
  })
})

describe('one run, one id', () => {
  test('two model projects in one invocation share a run id and one records.jsonl; the reporter prints Δ', async () => {
    const result = await execa(
      'node',
      [
        path.join(ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--project',
        'fixture-oracle',
        '--project',
        'fixture-broken',
        'benchmarks/abstract/connectome_summary',
        '-t',
        'zero_shot',
      ],
      {
        cwd: ROOT,
        reject: false,
        env: { SKILLDELTA_RUN_ID: '', CI: 'true' },
      },
    )
    const runId = /skill Δ — run (\S+)/.exec(result.stdout)?.[1]
    expect(runId).toBeTruthy()
    const { records } = await readRun(path.join(ROOT, 'results'), runId!)
    rmSync(path.join(ROOT, 'results', runId!), { recursive: true, force: true })
    expect(records.map((r) => r.model.name).sort()).toEqual(['fixture-broken', 'fixture-oracle'])
    expect(result.stdout).toMatch(/fixture-oracle\s+—\s+zero_shot\s+1\s+100%/)
  })
})

describe('sharded runs', () => {
  test('every (model, goal) file lands in exactly one shard, whatever order the projects were discovered in', async () => {
    const specs = ['m-a', 'm-b', 'm-c'].flatMap((project) =>
      ['g1', 'g2', 'g3', 'g4', 'g5'].map((goal) => ({
        project: { name: project },
        moduleId: path.join(ROOT, `benchmarks/${goal}.GOAL.md`),
      })),
    ) as unknown as TestSpecification[]
    const shardsOf = async (order: TestSpecification[], count: number) => {
      const out: string[][] = []
      for (let index = 1; index <= count; index++) {
        const sequencer = new MatrixSequencer({ config: { root: ROOT, shard: { index, count } } } as unknown as Vitest)
        out.push((await sequencer.shard(order)).map((s) => `${s.project.name} ${path.basename(s.moduleId)}`))
      }
      return out
    }
    for (const count of [2, 3, 4]) {
      const forward = await shardsOf(specs, count)
      const backward = await shardsOf([...specs].reverse(), count)
      expect(backward).toEqual(forward)
      const all = forward.flat()
      expect(all).toHaveLength(specs.length)
      expect(new Set(all).size).toBe(specs.length)
      expect(Math.max(...forward.map((s) => s.length)) - Math.min(...forward.map((s) => s.length))).toBeLessThanOrEqual(
        1,
      )
    }
  })

  test('shards run apart (own results/ each, as on CI machines), merged by `skilldelta merge`, equal the unsharded run', async () => {
    const vitest = path.join(ROOT, 'node_modules/vitest/vitest.mjs')
    const tmp = path.join(ROOT, 'test/.tmp/shards')
    const reports = path.join(tmp, 'blob-reports')
    const args = [
      '--project',
      'fixture-oracle',
      '--project',
      'fixture-broken',
      'benchmarks/abstract/connectome_summary',
    ]
    const env = (runId: string) => ({ SKILLDELTA_RUN_ID: runId, CI: 'true' })
    const run = (runId: string, extra: string[]) =>
      execa('node', [vitest, 'run', ...args, ...extra], { cwd: ROOT, reject: false, env: env(runId) })
    const ablation = (runId: string) =>
      JSON.parse(readFileSync(path.join(ROOT, 'results', runId, 'ablation.json'), 'utf8'))
    try {
      await run('parity-whole', [])
      for (const shard of [1, 2]) {
        await run('parity-sharded', [
          `--shard=${shard}/2`,
          '--reporter=blob',
          `--outputFile=${reports}/blob-${shard}.json`,
        ])
        // each shard's results stay on its own machine until the merge job downloads them
        mkdirSync(path.join(tmp, `shard-${shard}`, 'results'), { recursive: true })
        renameSync(
          path.join(ROOT, 'results/parity-sharded'),
          path.join(tmp, `shard-${shard}`, 'results/parity-sharded'),
        )
      }
      const merge = await execa(
        'node',
        [path.join(ROOT, 'bin/skilldelta.mjs'), 'merge', '--run', 'parity-sharded', `${tmp}/shard-1`, `${tmp}/shard-2`],
        { cwd: ROOT, reject: false },
      )
      expect(merge.exitCode, merge.stderr).toBe(0)
      expect(merge.stdout).toContain('merged 2 file(s) into results/parity-sharded/records.jsonl: 6 trials')
      const merged = await execa('node', [vitest, '--merge-reports', reports], {
        cwd: ROOT,
        reject: false,
        env: env('parity-sharded'),
      })
      expect(merged.stdout).toContain('skill Δ — run parity-sharded (6 trials)')
      expect(merged.stdout).not.toContain('/min · ETA') // no progress lines while replaying
      expect(ablation('parity-sharded').rows).toEqual(ablation('parity-whole').rows)
    } finally {
      for (const id of ['parity-whole', 'parity-sharded'])
        rmSync(path.join(ROOT, 'results', id), { recursive: true, force: true })
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})
