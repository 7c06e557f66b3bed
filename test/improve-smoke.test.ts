// End to end with a real model: one iteration of `skilldelta improve` whose student is the embedded
// SmolLM2-135M (the teacher stays the fixture one: no model here could propose a skill). What a 135M
// model writes is not evidence of anything; that the loop runs it through the normal path, records
// the A/A floor and one decision, and stops on its budget, is. One goal per set keeps it to 3 trials.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { expect, test } from 'vitest'
import { readLedger, type Row } from '../src/harness/improve/ledger.ts'
import { readRun } from '../src/harness/results/store.ts'
import { goalMarks, writeStudyProject } from './fixtures/improve/project.ts'
import { ROOT, tempDir } from './helpers.ts'

const MODELS = `models:
  - name: smollm2-135m
    provider: embedded
    model: SmolLM2-135M-Instruct.Q4_1
    context_window: 8192
    threads: 2
    generation: { temperature: 0.2, max_tokens: 200, seed: 1 }

  - name: fixture-teacher
    provider: fixture
    model: skilldelta/teacher
    script: teacher.yaml
`

// generous: three Vitest runs and a 135M model on two cores other tests share (a hang guard, not a speed limit)
const LIMIT_MS = 1_800_000

test('one iteration with the embedded model as student', { timeout: LIMIT_MS + 60_000 }, async () => {
  const dir = await writeStudyProject(path.join(ROOT, 'test/.tmp/improve-smoke'), { models: MODELS })
  const args = ['improve', '--teacher', 'fixture-teacher', '--student', 'smollm2-135m']
  args.push('--train', 'benchmarks/train/run_length.GOAL.md', '--holdout', 'benchmarks/holdout/eeg_rate.GOAL.md')
  args.push('--samples', '1', '--budget', '1iterations', '--id', 'smoke')
  const study = execa('node', [path.join(ROOT, 'bin/skilldelta.mjs'), ...args], {
    cwd: dir,
    env: { SKILLDELTA_CACHE_DIR: tempDir('sd-smoke-cache-') },
    reject: false,
    all: true,
    // its own process group, so a hang is ended with its Vitest workers (none left behind)
    detached: true,
  })
  const guard = setTimeout(() => process.kill(-study.pid!, 'SIGKILL'), LIMIT_MS)
  const out = await study.finally(() => clearTimeout(guard))
  expect(out.exitCode, out.all).toBe(0)
  const results = path.join(dir, 'results/smoke')
  const entries = await readLedger(results)
  const rows = entries.filter((e): e is Row => e.kind === 'aa' || e.kind === 'proposal')
  expect(rows.map((r) => [r.kind, r.decision])).toEqual([
    ['aa', 'floor'],
    ['proposal', 'rejected'],
  ])
  // one goal: no interval, so an unbounded floor and no change can be accepted
  expect(rows[0]!.floors).toEqual({ 'smollm2-135m': null })
  expect(rows[1]).toMatchObject({ skill: 'tvb-seconds', screen: 'passed' })
  expect(rows[1]!.train[0]).toMatchObject({ student: 'smollm2-135m', n: 1, lo: null })
  expect(rows[1]!.students.tokensOut).toBeGreaterThan(0)
  expect(entries.find((e) => e.kind === 'stop')).toMatchObject({ reason: 'the budget of 1 iteration(s) is spent' })
  // the trials are the embedded model's, recorded as any run's
  for (const run of [...rows[0]!.runs, ...rows[1]!.runs]) {
    const { records } = await readRun(path.join(dir, 'results'), run)
    expect(records.length).toBe(2)
    for (const record of records) {
      expect(record.model).toMatchObject({ provider: 'embedded', reported: 'SmolLM2-135M-Instruct.Q4_1' })
      expect(['ok', 'generation_failed', 'execution_failed']).toContain(record.status)
    }
  }
  expect(readFileSync(path.join(results, 'results.tsv'), 'utf8').trim().split('\n')).toHaveLength(3)
  // the teacher's conversation is on record: the train goal's failures, nothing of the holdout goal
  const conversation = readFileSync(path.join(results, 'iterations/1/teacher.json'), 'utf8')
  expect(conversation).toContain('Run length for a short recording')
  for (const mark of goalMarks(dir, 'holdout')['holdout/eeg_rate']!) expect(conversation).not.toContain(mark)
})
