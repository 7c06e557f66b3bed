/**
 * What compiled GOAL.md modules call inside a Vitest worker. One `useTrial` per (condition,
 * sample) cell: the trial runs once in beforeAll, each check test asks the registry for its
 * verdict, the trial records it, and afterAll finishes the record.
 */
import { afterAll, beforeAll, describe, inject, type TestContext } from 'vitest'
import { selectSignal, type SignalSelector, type SignalSubject } from '../analysis/select.ts'
import { checkKind } from '../checks/registry.ts'
import type { CheckInputs, ExecutionSubject, Verdict } from '../checks/types.ts'
import { checkTimeoutMs, deriveLimits, type TrialLimits } from '../config/limits.ts'
import type { ModelSpec } from '../config/models.ts'
import type { Condition, RunSettings } from '../config/settings.ts'
import { GoalSchema, type Goal } from '../goal/schema.ts'
import { judgeTrial } from '../judge/index.ts'
import type { JudgeSubject } from '../judge/subject.ts'
import { ModelClient } from '../models/client.ts'
import { strategyOf } from '../models/providers/index.ts'
import { runTrial, type TrialOutcome } from '../trial/run.ts'
import { describeForAllure, evidenceFor, publishEvidence } from './evidence.ts'
import type { JudgePlan, RunServices } from './provided.ts'

import './provided.ts'

function run(): RunSettings {
  const value = inject('skilldelta:run')
  if (!value) throw new Error('skilldelta settings are missing: make vitest.config.ts with defineSkilldeltaConfig()')
  return value
}

function model(): ModelSpec {
  const value = inject('skilldelta:model')
  if (!value) {
    throw new Error(
      'no model for this run: GOAL.md files run inside a model project — ' +
        '`vitest run --project <name from models.yaml>`',
    )
  }
  return value
}

const judgePlan = (): JudgePlan => inject('skilldelta:judge') ?? { unavailable: 'no judge model configured' }
const services = (): RunServices => inject('skilldelta:services') ?? {}

let client: ModelClient | undefined
/** One model client per worker: the cache, the broker's slots and retries for every call it makes. */
function modelClient(): ModelClient {
  const { brokerUrl, fixtureUrl } = services()
  client ??= new ModelClient({
    cache: run().cache,
    ...(brokerUrl ? { brokerUrl } : {}),
    ...(fixtureUrl ? { fixtureUrl } : {}),
  })
  return client
}

/** The goal a compiled module embeds, validated where it enters the runtime. */
export const defineGoal = (goal: unknown): Goal => GoalSchema.parse(goal)

export const runConditions = (): string[] => run().conditions.map((c) => c.name)

/** Calls `body` once per sample; with several samples each gets its own describe block. */
export function eachSample(body: (sample: number) => void): void {
  const { epochs } = run()
  if (epochs === 1) return body(0)
  for (let sample = 0; sample < epochs; sample++) describe(`sample ${sample + 1}/${epochs}`, () => body(sample))
}

class TrialCell {
  private outcome: TrialOutcome | undefined
  private failure: string | undefined
  private judging: Promise<JudgeSubject> | undefined

  constructor(
    readonly goal: Goal,
    readonly condition: Condition,
    readonly sample: number,
    readonly limits: TrialLimits,
  ) {}

  async run(): Promise<void> {
    try {
      this.outcome = await runTrial({
        goal: this.goal,
        model: model(),
        condition: this.condition,
        sample: this.sample,
        settings: run(),
        limits: this.limits,
        client: modelClient(),
        onWarning: (message) => console.warn(`[skilldelta] ${message}`),
      })
    } catch (error) {
      // the trial could not even be planned (its directory cannot be written): nothing to record into
      this.failure = `the trial could not start: ${(error as Error).stack ?? String(error)}`
      throw error
    }
  }

  /** A check test's timeout, from the same limits as the trial's. */
  timeout(index: number): number {
    const instance = this.goal.checks[index]
    return checkTimeoutMs(this.limits, instance ? checkKind(instance.kind).needs.includes('judge') : false)
  }

  private missing(): string {
    const record = this.outcome?.state.value
    if (record?.error) return `${record.status}: ${record.error}`
    return this.failure ?? 'the trial did not run'
  }

  private execution(): ExecutionSubject {
    return this.outcome?.execution ?? { executed: false, reason: this.missing() }
  }

  private async signal(selector: SignalSelector): Promise<SignalSubject> {
    const execution = this.outcome?.execution
    if (!this.outcome || !execution) {
      return { found: false, reason: `no notebook was executed (${this.missing()})`, available: [] }
    }
    return selectSignal(execution, selector, this.outcome.state.dir)
  }

  /** The judge grades the trial once, when the first judge check asks; the trial records the verdict. */
  private judgement(): Promise<JudgeSubject> {
    const plan = judgePlan()
    if (!plan.setup || plan.unavailable) {
      const reason =
        plan.unavailable ?? 'no judge model configured: name one under judge: in models.yaml, or set SKILLDELTA_JUDGE'
      return Promise.resolve({ judged: false, unavailable: true, reason })
    }
    const outcome = this.outcome
    if (!outcome) return Promise.resolve({ judged: false, reason: this.missing() })
    const setup = plan.setup
    this.judging ??= (async () => {
      const record = outcome.state.value
      const judged = await judgeTrial({
        task: this.goal.body,
        status: record.status,
        ...(record.error ? { error: record.error } : {}),
        execution: outcome.execution,
        dir: outcome.state.dir,
        setup,
        settings: run().judge,
        client: modelClient(),
        signal: AbortSignal.timeout(this.limits.judgeMs),
      })
      if (judged.record) await outcome.state.judged(judged.record, judged.artifacts)
      return judged.subject
    })()
    return this.judging
  }

  private inputs(): CheckInputs {
    return {
      execution: () => this.execution(),
      signal: (selector) => this.signal(selector),
      judgement: () => this.judgement(),
      outDir: this.outcome?.state.dir ?? '',
    }
  }

  /** One check: its verdict from the registry, recorded on the trial, explained by attachments, asserted. */
  async check(context: TestContext, index: number): Promise<void> {
    const instance = this.goal.checks[index]
    if (!instance) throw new Error(`goal ${this.goal.id} has no check #${index}`)
    const kind = checkKind(instance.kind)
    await describeForAllure({
      model: model().name,
      condition: this.condition.name,
      goal: this.goal.id,
      tier: this.goal.tier,
      sample: this.sample,
    })
    let verdict: Verdict
    try {
      verdict = await kind.assess(instance.params, this.inputs())
    } catch (error) {
      verdict = { status: 'fail', message: `the check could not run: ${(error as Error).message}`, measured: {} }
    }
    if (this.outcome) {
      await this.outcome.state.checked(instance.id, kind, verdict)
      const evidence = await evidenceFor(kind, verdict, this.outcome, run().execution.sandbox)
      await publishEvidence(context.task, evidence)
    }
    if (verdict.status === 'skip') return context.skip(verdict.message)
    context.expect(verdict).toPassCheck()
  }

  /** The cell is over (all its checks ran): the complete record goes to records.jsonl. */
  async close(): Promise<void> {
    if (this.outcome) await this.outcome.state.finished()
  }
}

/** Register the trial for the enclosing describe block: it runs once, before the checks. */
export function useTrial(goal: Goal, conditionName: string, sample: number): TrialCell {
  const settings = run()
  const condition = settings.conditions.find((c) => c.name === conditionName)
  if (!condition) throw new Error(`unknown condition "${conditionName}"`)
  const judge = judgePlan().setup
  const limits = deriveLimits({
    goal,
    model: model(),
    strategy: strategyOf(model()),
    execution: settings.execution,
    ...(judge ? { judge: { model: judge.model, attempts: settings.judge.attempts } } : {}),
  })
  const trial = new TrialCell(goal, condition, sample, limits)
  beforeAll(() => trial.run(), limits.hookMs)
  afterAll(() => trial.close(), 60_000)
  return trial
}
