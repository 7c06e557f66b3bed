/**
 * What compiled GOAL.md modules call inside a Vitest worker. One `useTrial` per
 * (condition, sample) cell: it runs the trial once in beforeAll, then each check test
 * reads the shared outcome and writes its verdict into the trial record.
 */
import { afterAll, beforeAll, describe, inject, type RunnerTestCase, type TestContext } from 'vitest'
import { selectSignal, type SignalSubject } from '../analysis/select.ts'
import type { ModelSpec } from '../config/models.ts'
import type { Condition, RunSettings } from '../config/settings.ts'
import type { Goal, SignalSelector } from '../goal/schema.ts'
import { appendRecord } from '../store/records.ts'
import { runTrial, type TrialOutcome } from '../trial/run.ts'
import type { ExecutionSubject } from '../../matchers/toExecute.ts'
import { judgeTrial, type JudgeSubject } from '../judge/index.ts'
import { describeForAllure, evidenceFor, publishEvidence } from './evidence.ts'

import './provided.ts'

function settings(): RunSettings {
  const value = inject('skilldelta:settings')
  if (!value) throw new Error('skilldelta settings are missing: add the skilldelta() plugin to vitest.config.ts')
  return value
}

function model(): ModelSpec {
  const value = inject('skilldelta:model')
  if (!value) {
    throw new Error(
      'no model for this run: GOAL.md files run inside a model project — `vitest run --project <name from models.yaml>`',
    )
  }
  return value
}

export const defineGoal = (goal: Goal): Goal => goal

export const runConditions = (): string[] => settings().conditions.map((c) => c.name)

/** Calls `body` once per sample; with several samples each gets its own describe block. */
export function eachSample(body: (sample: number) => void): void {
  const { epochs } = settings()
  if (epochs === 1) return body(0)
  for (let sample = 0; sample < epochs; sample++) describe(`sample ${sample + 1}/${epochs}`, () => body(sample))
}

export class Trial {
  private outcome: TrialOutcome | undefined
  private failure: string | undefined

  constructor(
    readonly goal: Goal,
    readonly condition: Condition,
    readonly sample: number,
  ) {}

  async run(): Promise<void> {
    const fixtureUrl = inject('skilldelta:fixtureUrl')
    const brokerUrl = inject('skilldelta:brokerUrl')
    try {
      this.outcome = await runTrial({
        goal: this.goal,
        model: model(),
        condition: this.condition,
        sample: this.sample,
        settings: settings(),
        ...(fixtureUrl ? { fixtureUrl } : {}),
        ...(brokerUrl ? { brokerUrl } : {}),
        onWarning: (message) => console.warn(`[skilldelta] ${message}`),
      })
    } catch (error) {
      this.failure = `the trial crashed: ${(error as Error).stack ?? String(error)}`
      throw error
    }
  }

  private missing(): string {
    const record = this.outcome?.record
    if (record?.error) return `${record.status}: ${record.error}`
    return this.failure ?? 'the trial did not run'
  }

  execution(): ExecutionSubject {
    return this.outcome?.execution ?? { executed: false, reason: this.missing() }
  }

  async signal(selector: SignalSelector): Promise<SignalSubject> {
    if (!this.outcome?.execution)
      return { found: false, reason: `no notebook was executed (${this.missing()})`, available: [] }
    return selectSignal(this.outcome.execution, selector, this.outcome.dir)
  }

  /**
   * The independent judge's verdict on the executed notebook. No judge configured (or its key
   * missing) skips the check with the reason; a notebook that never ran fails it.
   */
  async judge(skip: TestContext['skip']): Promise<JudgeSubject> {
    const setup = inject('skilldelta:judge')
    const unavailable = setup
      ? inject('skilldelta:judgeUnavailable')
      : 'no judge model configured: name one under judge: in models.yaml, or set SKILLDELTA_JUDGE'
    if (!setup || unavailable) {
      if (this.outcome) {
        this.outcome.record.checks.judge_score = { status: 'skip', message: unavailable!, at: new Date().toISOString() }
        await this.outcome.save()
      }
      return skip(unavailable) as never
    }
    if (!this.outcome) return { judged: false, reason: this.missing() }
    const fixtureUrl = inject('skilldelta:fixtureUrl')
    const brokerUrl = inject('skilldelta:brokerUrl')
    return judgeTrial({
      goal: this.goal,
      outcome: this.outcome,
      setup,
      settings: settings(),
      ...(fixtureUrl ? { fixtureUrl } : {}),
      ...(brokerUrl ? { brokerUrl } : {}),
    })
  }

  /** The cell is over (all its checks ran): append the complete record to the run's JSONL store. */
  async close(): Promise<void> {
    if (this.outcome && this.outcome.record.status !== 'pending')
      await appendRecord(settings().resultsDir, this.outcome.record)
  }

  /** Run one check's assertion; write its verdict and measured values into the trial record; attach the evidence. */
  async check(task: Readonly<RunnerTestCase>, name: string, assertion: () => unknown): Promise<void> {
    const record = this.outcome?.record
    const cell = { goal: this.goal.id, model: model().name, condition: this.condition.name, sample: this.sample }
    task.meta.skilldelta = { ...cell, trialDir: this.outcome?.dir ?? '', check: name }
    await describeForAllure({ ...cell, tier: this.goal.tier })
    const save = async (status: 'pass' | 'fail', message?: string) => {
      if (!record || !this.outcome) return
      const measured = task.meta.skilldeltaMeasured
      record.checks[name] = {
        status,
        ...(message ? { message } : {}),
        ...(measured ? { measured } : {}),
        at: new Date().toISOString(),
      }
      await this.outcome.save()
    }
    const attach = async (failed: boolean) => {
      if (this.outcome)
        await publishEvidence(task, await evidenceFor(name, failed, this.outcome, settings().execution.sandbox))
    }
    try {
      await assertion()
    } catch (error) {
      await save('fail', (error as Error).message.slice(0, 4000))
      await attach(true)
      throw error
    }
    await save('pass')
    await attach(false)
  }
}

/** Register the trial for the enclosing describe block: it runs once, before the checks. */
export function useTrial(goal: Goal, conditionName: string, sample: number): Trial {
  const condition = settings().conditions.find((c) => c.name === conditionName)
  if (!condition) throw new Error(`unknown condition "${conditionName}"`)
  const trial = new Trial(goal, condition, sample)
  const { execution } = settings()
  const budgetMs = (model().timeout_seconds + goal.timeoutSeconds + execution.startupTimeoutSeconds + 120) * 1000
  beforeAll(() => trial.run(), budgetMs)
  afterAll(() => trial.close())
  return trial
}
