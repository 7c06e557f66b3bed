import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { TrialLimits } from '../config/limits.ts'
import type { ModelSpec } from '../config/models.ts'
import { PYTHON_PACKAGE_DIR } from '../config/paths.ts'
import type { Condition, RunSettings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import { withSlot } from '../models/broker.ts'
import type { ModelClient } from '../models/client.ts'
import { providerOf, strategyOf } from '../models/providers/index.ts'
import { ModelMismatchError, ProviderError } from '../models/types.ts'
import { resultsNeeded } from '../checks/registry.ts'
import { startAnalyses } from '../analysis/python.ts'
import { executeNotebook, loadExecutionReport } from '../notebook/execute.ts'
import { startKernelAhead } from '../notebook/kernels.ts'
import type { ExecutionReport } from '../notebook/report.ts'
import { TrialRecordSchema, type TrialStage, type TrialStatus } from '../results/schema.ts'
import { restoreTrial, storeTrial, trialKey } from '../store/cache.ts'
import { planPrompt, type PromptPlan } from './prompt.ts'
import { TrialState } from './record.ts'
import { driverNavigator } from './strategies/driver-navigator.ts'
import { singleShot } from './strategies/single-shot.ts'
import type { GenerationStrategy, Produced } from './strategies/types.ts'

const STRATEGIES: Record<ReturnType<typeof strategyOf>, GenerationStrategy> = {
  'single-shot': singleShot,
  'driver-navigator': driverNavigator,
}

interface TrialInput {
  goal: Goal
  model: ModelSpec
  condition: Condition
  sample: number
  settings: RunSettings
  limits: TrialLimits
  client: ModelClient
  /** The run's broker: notebooks take one of the machine's execution slots (`execution.parallel`). */
  brokerUrl?: string
  onWarning?: (message: string) => void
}

/** Notebooks share the machine's cores across every worker; model calls have their own limits. */
const EXECUTION_SLOTS = 'notebooks on this machine'

export interface TrialOutcome {
  state: TrialState
  /** The last execution: what checks and the judge see. */
  execution?: ExecutionReport
}

export function trialDir(input: Pick<TrialInput, 'goal' | 'model' | 'condition' | 'sample' | 'settings'>): string {
  const { settings, model, condition, goal, sample } = input
  return path.join(settings.resultsDir, settings.runId, model.name, condition.name, goal.id, `sample-${sample}`)
}

/**
 * One cell of the matrix: plan the prompt, reuse a cached trial or generate a notebook, execute it,
 * conclude. One deadline (an AbortSignal from the derived trial limit) reaches every step; whatever
 * happens — a provider failure, the deadline, a harness bug — the trial ends with a recorded status.
 */
export async function runTrial(input: TrialInput): Promise<TrialOutcome> {
  const { goal, model, condition, sample, settings } = input
  const dir = trialDir(input)
  const state = await TrialState.plan(
    {
      runId: settings.runId,
      goal: { id: goal.id, hash: goal.hash, file: goal.file, tier: goal.tier },
      model: { name: model.name, provider: model.provider, requested: model.model, params: model.params ?? null },
      condition: condition.name,
      sample,
    },
    dir,
    settings.resultsDir,
    settings.root,
  )
  const outcome: TrialOutcome = { state }
  const deadline = AbortSignal.timeout(input.limits.trialMs)
  try {
    await pipeline(input, outcome, deadline)
  } catch (error) {
    if (deadline.aborted) {
      const during: Partial<Record<TrialStage, string>> = {
        planned: 'waiting for the model',
        generated: 'executing the notebook',
      }
      const stage = state.value.stage ?? 'planned'
      await state.concluded('infra_error', outOfTime(input.limits, during[stage] ?? 'running the trial'))
    } else if (error instanceof ProviderError || error instanceof ModelMismatchError) {
      await state.concluded('infra_error', error.message)
    } else await state.crashed(error)
  }
  return outcome
}

const outOfTime = (limits: TrialLimits, during: string): string =>
  `the trial ran out of time (${Math.round(limits.trialMs / 1000)} s) while ${during}`

async function pipeline(input: TrialInput, outcome: TrialOutcome, deadline: AbortSignal): Promise<void> {
  const { state } = outcome
  const { settings, model, condition } = input
  let plan: PromptPlan
  try {
    plan = planPrompt(input.goal, condition, settings, model)
  } catch (error) {
    return state.concluded('infra_error', (error as Error).message)
  }
  const key = cacheKey(input, plan)
  const { mode, dir: cacheDir } = settings.cache
  await state.prompted(
    {
      hash: plan.hash,
      skills: plan.skills,
      droppedSkills: plan.droppedSkills,
      ...(plan.skippedSkills.length ? { skippedSkills: plan.skippedSkills } : {}),
      skillBudgetTokens: plan.skillBudgetTokens,
      ...(plan.delivery ? { delivery: plan.delivery } : {}),
      ...(plan.placebo ? { placebo: plan.placebo } : {}),
      ...(plan.example ? { example: plan.example } : {}),
    },
    { mode, key: key.slice(0, 16), trial: 'miss', call: 'none' },
  )
  if (mode === 'on' && (await restoreTrial(cacheDir, key, state.dir))) return restored(outcome, key)

  await writeFile(path.join(state.dir, 'prompt.json'), JSON.stringify(plan.messages, null, 2))
  const strategy = strategyOf(model)
  if (plan.catalog && strategy !== 'driver-navigator') {
    const why =
      `condition "${condition.name}" delivers skills on demand, which needs tool calls, ` +
      `but model "${model.name}" runs single-shot`
    return state.concluded('infra_error', why)
  }
  // the notebook's kernel (and the checks' analyses) start now, while the model writes the notebook
  const kernel = startKernelAhead(settings.execution, { again: strategy === 'driver-navigator' })
  startAnalyses()
  const execute = async (notebook: string): Promise<ExecutionReport> => {
    const slot = { key: EXECUTION_SLOTS, limit: settings.execution.parallel, leaseMs: input.limits.executionMs }
    const execution = await withSlot(
      input.brokerUrl,
      slot,
      () =>
        executeNotebook({
          notebook,
          trialDir: state.dir,
          totalTimeoutSeconds: input.goal.timeoutSeconds,
          results: resultsNeeded(input.goal.checks),
          settings: settings.execution,
          signal: deadline,
          kernel,
          ...(input.onWarning ? { onWarning: input.onWarning } : {}),
        }),
      deadline,
    )
    if (deadline.aborted) return execution // cut off: not a result the trial keeps
    outcome.execution = execution
    await state.executed(notebook, execution)
    return execution
  }
  let produced: Produced
  let execution: ExecutionReport | undefined
  try {
    produced = await STRATEGIES[strategy]({
      model,
      plan,
      dir: state.dir,
      sample: input.sample,
      client: input.client,
      signal: deadline,
      sandbox: settings.execution.sandbox,
      execute,
    })
    await state.generated({
      generation: produced.generation,
      reportedModel: produced.reportedModel,
      ...(produced.loop ? { loop: produced.loop } : {}),
      calls: produced.calls.made === 0 && produced.calls.cached > 0 ? 'hit' : 'miss',
      artifacts: { prompt: 'prompt.json', ...produced.artifacts },
    })
    execution = produced.execution ?? (produced.notebook ? await execute(produced.notebook) : undefined)
  } finally {
    kernel.release() // a kernel left unused serves the next notebook of this worker
  }
  const [status, error] = conclusion(produced, execution, input.limits, deadline.aborted)
  await state.concluded(status, error)
  // finished, deterministic outcomes only: an infrastructure error must be retried next time
  if (mode !== 'off' && status !== 'infra_error') await storeTrial(cacheDir, key, state.dir)
}

/** The trial's status from what generation produced and how the last execution went. */
function conclusion(
  produced: Produced,
  execution: ExecutionReport | undefined,
  limits: TrialLimits,
  expired: boolean,
): [Exclude<TrialStatus, 'pending' | 'judge_error'>, (string | undefined)?] {
  if (!execution) {
    if (expired || produced.timedOut) return ['infra_error', outOfTime(limits, 'generating; no notebook was executed')]
    return ['generation_failed', produced.failure ?? 'no notebook was produced']
  }
  if (execution.status === 'harness_error' || execution.status === 'harness_timeout') {
    return ['infra_error', expired ? outOfTime(limits, 'executing the notebook') : execution.harnessError]
  }
  return [execution.status === 'ok' ? 'ok' : 'execution_failed']
}

/** Everything that can change this trial's outcome, hashed (see store/cache.ts). */
function cacheKey(input: TrialInput, plan: PromptPlan): string {
  // how many notebooks run at once changes when, not what: not part of the key
  const { parallel: _when, ...execution } = input.settings.execution
  return trialKey({
    identity: providerOf(input.model).identity(input.model),
    promptHash: plan.hash,
    goalHash: input.goal.hash,
    condition: input.condition.name,
    sample: input.sample,
    execution: { ...execution, timeoutSeconds: input.goal.timeoutSeconds },
    environment: executionEnvironment(),
  })
}

let environment: string | undefined
/**
 * What a notebook runs on, as content: the Python lock (TVB, numpy, … versions) and the harness's
 * Python side (runner, kernel, probe, sandbox confinement). Changing either can change any trial's
 * execution, so a cached trial made on another environment is not reused. Read once per worker.
 */
function executionEnvironment(): string {
  if (environment) return environment
  const sha = createHash('sha256')
  const code = path.join(PYTHON_PACKAGE_DIR, 'skilldelta_py')
  const files = [
    path.join(PYTHON_PACKAGE_DIR, 'requirements.lock'),
    ...readdirSync(code)
      .filter((f) => f.endsWith('.py'))
      .sort()
      .map((f) => path.join(code, f)),
  ]
  for (const file of files)
    sha
      .update(`${path.basename(file)}\0`)
      .update(readFileSync(file))
      .update('\0')
  return (environment = sha.digest('hex'))
}

/** A cache hit: the trial directory was restored; its record and execution report come back with it. */
async function restored(outcome: TrialOutcome, key: string): Promise<void> {
  const { state } = outcome
  const cached = TrialRecordSchema.parse(JSON.parse(await readFile(path.join(state.dir, 'trial.json'), 'utf8')))
  await state.restored(cached, key)
  const execution = await loadExecutionReport(state.dir)
  if (execution) outcome.execution = execution
}
