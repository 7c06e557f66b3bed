/**
 * What compiled GOAL.md modules call inside a Vitest worker. One `useTrial` per (condition,
 * sample) cell: the trial runs once in beforeAll, each check test asks the registry for its
 * verdict, the trial records it, and afterAll finishes the record. The cells of a file are
 * concurrent describe blocks: their trials overlap, as wide as the provider admits them.
 */
import { afterAll, beforeAll, describe, inject, type TestContext } from 'vitest'
import { deriveLimits } from '../config/limits.ts'
import type { ModelSpec } from '../config/models.ts'
import type { RunSettings } from '../config/settings.ts'
import { GoalSchema, type Goal } from '../goal/schema.ts'
import { ModelClient } from '../models/client.ts'
import { strategyOf } from '../models/providers/index.ts'
import { TrialCell } from '../trial/cell.ts'
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

const clients = new Map<string, ModelClient>()
/**
 * One model client per worker and project services: the cache, the broker's slots and retries for
 * every call it makes. A worker runs file after file (not isolated), possibly of several projects.
 */
function modelClient(): ModelClient {
  const { brokerUrl, fixtureUrl } = services()
  const options = {
    cache: run().cache,
    ...(brokerUrl ? { brokerUrl } : {}),
    ...(fixtureUrl ? { fixtureUrl } : {}),
  }
  const key = JSON.stringify(options)
  let client = clients.get(key)
  if (!client) clients.set(key, (client = new ModelClient(options)))
  return client
}

/** The goal a compiled module embeds, validated where it enters the runtime. */
export const defineGoal = (goal: unknown): Goal => GoalSchema.parse(goal)

export const runConditions = (): string[] => run().conditions.map((c) => c.name)

/** Calls `body` once per sample; with several samples each gets its own (concurrent) describe block. */
export function eachSample(body: (sample: number) => void): void {
  const { epochs } = run()
  if (epochs === 1) return body(0)
  for (let sample = 0; sample < epochs; sample++)
    describe(`sample ${sample + 1}/${epochs}`, { concurrent: true }, () => body(sample))
}

/** A cell's tests: each check's verdict asserted, explained by attachments (Vitest UI, Allure). */
class CellTests {
  constructor(private readonly cell: TrialCell) {}

  timeout(index: number): number {
    return this.cell.timeout(index)
  }

  async check(context: TestContext, index: number): Promise<void> {
    const { cell } = this
    await describeForAllure({
      model: model().name,
      condition: cell.condition.name,
      goal: cell.goal.id,
      tier: cell.goal.tier,
      sample: cell.sample,
    })
    const { kind, verdict } = await cell.assess(index)
    if (cell.outcome) {
      const evidence = await evidenceFor(kind, verdict, cell.outcome, run().execution.sandbox)
      await publishEvidence(context.task, evidence)
    }
    if (verdict.status === 'skip') return context.skip(verdict.message)
    context.expect(verdict).toPassCheck()
  }
}

/**
 * Register the trial for the enclosing describe block: it runs once, before the checks. `sample`
 * counts from 0 within the condition; a condition that draws fresh samples starts at its firstSample.
 */
export function useTrial(goal: Goal, conditionName: string, sample: number): CellTests {
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
  const { brokerUrl } = services()
  const cell = new TrialCell(goal, condition, (condition.firstSample ?? 0) + sample, limits, {
    model: model(),
    settings,
    client: modelClient,
    judge: judgePlan(),
    ...(brokerUrl ? { brokerUrl } : {}),
    onWarning: (message) => console.warn(`[skilldelta] ${message}`),
  })
  // no hook timeout: waiting to be admitted is not the trial's time; the cell bounds the trial itself (hookMs)
  beforeAll(() => cell.run(), 0)
  afterAll(() => cell.close(), 60_000)
  return new CellTests(cell)
}
