import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { deriveLimits, DRIVER_NAVIGATOR_SECONDS, type TrialLimits } from '../src/harness/config/limits.ts'
import type { ModelSpec } from '../src/harness/config/models.ts'
import { resolveSettings, type RunSettings } from '../src/harness/config/settings.ts'
import { parseGoal } from '../src/harness/goal/parse.ts'
import { loadFixtureScript, startFixtureServer, type FixtureServer } from '../src/harness/models/fixture-server.ts'
import { buildReport } from '../src/harness/report/ablation.ts'
import { readRun } from '../src/harness/results/store.ts'
import { runTrial } from '../src/harness/trial/run.ts'
import { ROOT, tempDir, testClient } from './helpers.ts'

const dir = tempDir('sd-trial-')

describe('time limits, derived in one place', () => {
  const goal = { timeoutSeconds: 600 }
  const execution = { cellTimeoutSeconds: 300, startupTimeoutSeconds: 60 }
  const model = { timeout_seconds: 600 }

  test.each(['single-shot', 'driver-navigator'] as const)(
    '%s: every outer limit leaves the inner one time to fire and be recorded',
    (strategy) => {
      const limits = deriveLimits({ goal, model, strategy, execution, judge: { model, attempts: 3 } })
      expect(limits.notebookMs).toBe(600_000)
      expect(limits.runnerMs).toBeGreaterThan(limits.notebookMs + limits.startupMs)
      expect(limits.executionMs).toBeGreaterThan(limits.runnerMs)
      expect(limits.modelCallBudgetMs).toBeGreaterThan(limits.modelCallMs)
      expect(limits.trialMs).toBeGreaterThanOrEqual(limits.generationMs)
      expect(limits.hookMs).toBeGreaterThan(limits.trialMs)
      expect(limits.judgeMs).toBe(3 * limits.modelCallBudgetMs)
      expect(limits.cellMs).toBe(300_000)
      if (strategy === 'single-shot') {
        expect(limits.trialMs).toBeGreaterThanOrEqual(limits.modelCallBudgetMs + limits.executionMs)
      } else expect(limits.generationMs).toBe(DRIVER_NAVIGATOR_SECONDS * 1000)
    },
  )

  test('a long goal gets a longer execution and trial budget; the hook always outlasts the trial', () => {
    const short = deriveLimits({ goal: { timeoutSeconds: 60 }, model, strategy: 'single-shot', execution })
    const long = deriveLimits({ goal: { timeoutSeconds: 3600 }, model, strategy: 'single-shot', execution })
    expect(long.executionMs - short.executionMs).toBe(3_540_000)
    expect(long.trialMs - short.trialMs).toBe(3_540_000)
    expect(long.cellMs).toBe(300_000) // the per-cell cap stays; the notebook's total grows
    expect(long.hookMs).toBeGreaterThan(long.trialMs)
  })
})

describe('the trial deadline', () => {
  let server: FixtureServer
  const script = path.join(dir, 'slow.yaml')
  beforeAll(async () => {
    // the model takes 20 s to answer; the trial gets far less
    writeFileSync(script, 'replies:\n  - { text: "```python\\n# %%\\nprint(1)\\n```", fault: { delay_ms: 20000 } }\n')
    server = await startFixtureServer({ 'fx/slow': loadFixtureScript(script) })
  })
  afterAll(() => server.close())

  const model: ModelSpec = {
    name: 'slow',
    provider: 'fixture',
    protocol: 'openai',
    model: 'fx/slow',
    script,
    context_window: 8192,
    concurrency: 1,
    timeout_seconds: 60,
    generation: {},
  }

  test('generation that outlives the trial budget is cancelled and recorded as infra_error, and counted', async () => {
    const file = path.join(ROOT, 'benchmarks/tutorial/deadline.GOAL.md')
    const parsed = parseGoal('# Goal: Print one\n\nPrint the number 1.\n', file)
    if (!parsed.ok) throw parsed.error
    const settings: RunSettings = {
      ...resolveSettings({}, ROOT, { SKILLDELTA_CACHE: 'off' }),
      runId: 'deadline',
      resultsDir: path.join(dir, 'results'),
    }
    const derived = deriveLimits({ goal: parsed.goal, model, strategy: 'single-shot', execution: settings.execution })
    const limits: TrialLimits = { ...derived, trialMs: 1_500, hookMs: 61_500 }
    const started = Date.now()
    const outcome = await runTrial({
      goal: parsed.goal,
      model,
      condition: { name: 'zero_shot', skills: 'none' },
      sample: 0,
      settings,
      limits,
      client: testClient(server.url),
    })
    expect(Date.now() - started).toBeLessThan(19_000) // cancelled, not waited out
    expect(outcome.state.value).toMatchObject({
      status: 'infra_error',
      stage: 'planned',
      error: expect.stringMatching(/ran out of time \(2 s\) while waiting for the model/),
    })
    // the worker finishes every cell it started: the record reaches records.jsonl and the tables
    await outcome.state.finished()
    const { records, unfinished } = await readRun(settings.resultsDir, 'deadline')
    expect(unfinished).toEqual([])
    expect(records).toHaveLength(1)
    expect(buildReport(records).rows[0]).toMatchObject({ model: 'slow', condition: 'zero_shot', trials: 1, infra: 1 })
    const onDisk = JSON.parse(readFileSync(path.join(outcome.state.dir, 'trial.json'), 'utf8')) as { stage: string }
    expect(onDisk.stage).toBe('finished')
  })
})
