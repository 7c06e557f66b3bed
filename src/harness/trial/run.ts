import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { strategyOf, type ModelSpec } from '../config/models.ts'
import type { Condition, RunSettings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import { withSlot } from '../models/broker.ts'
import { chat, DEFAULT_RETRY, ModelMismatchError, ProviderError, type ChatResult } from '../models/chat.ts'
import type { ChatMessage, ToolSpec } from '../models/types.ts'
import { ConversionError, notebookFromScript } from '../notebook/convert.ts'
import { executeNotebook, loadExecutionReport } from '../notebook/execute.ts'
import { checkSyntax } from '../notebook/syntax.ts'
import type { ExecutionReport } from '../notebook/report.ts'
import { cacheMode, callKey, readCall, restoreTrial, storeTrial, trialKey, writeCall } from '../store/cache.ts'
import { extractScript } from './extract.ts'
import { driverNavigatorLoop } from './loop.ts'
import { planPrompt } from './prompt.ts'
import { TrialRecordSchema, writeRecord, type TrialRecord } from './record.ts'

export interface TrialInput {
  goal: Goal
  model: ModelSpec
  condition: Condition
  sample: number
  settings: RunSettings
  /** Base URL of the fixture server, for fixture models. */
  fixtureUrl?: string
  /** The run's concurrency broker: model calls hold a provider slot. */
  brokerUrl?: string
  signal?: AbortSignal
  onWarning?: (message: string) => void
}

export interface TrialOutcome {
  dir: string
  record: TrialRecord
  execution?: ExecutionReport
  /** Persist the record after a change (checks call this as they finish). */
  save(): Promise<void>
}

export function trialDir(input: Pick<TrialInput, 'goal' | 'model' | 'condition' | 'sample' | 'settings'>): string {
  const { settings, model, condition, goal, sample } = input
  return path.join(settings.resultsDir, settings.runId, model.name, condition.name, goal.id, `sample-${sample}`)
}

/**
 * One cell of the matrix: ask the model for a notebook, build it, execute it in the sandbox.
 * Every stage writes the record, so an interrupted run leaves what it had.
 */
export async function runTrial(input: TrialInput): Promise<TrialOutcome> {
  const { goal, model, condition, sample, settings } = input
  const dir = trialDir(input)
  await mkdir(dir, { recursive: true })
  const record: TrialRecord = {
    schema: 'skilldelta.trial/1',
    runId: settings.runId,
    goal: { id: goal.id, hash: goal.hash, file: goal.file, tier: goal.tier },
    model: {
      name: model.name,
      provider: model.provider,
      requested: model.model,
      reported: null,
      params: model.params ?? null,
    },
    condition: condition.name,
    sample,
    status: 'pending',
    checks: {},
    // paths relative to the project (dir) and to the trial directory (files): results stay portable
    artifacts: { dir: path.relative(settings.root, dir) },
    startedAt: new Date().toISOString(),
  }
  const outcome: TrialOutcome = { dir, record, save: () => writeRecord(dir, record) }
  const mode = cacheMode()
  // the cache key is known once the prompt is planned; finish() may run before that
  const cache: { key?: string } = {}
  const finish = async (status: TrialRecord['status'], error?: string): Promise<TrialOutcome> => {
    record.status = status
    if (error) record.error = error
    record.finishedAt = new Date().toISOString()
    await outcome.save()
    // finished, deterministic outcomes only: an infrastructure error must be retried next time
    if (cache.key && mode !== 'off' && status !== 'infra_error' && record.cache?.trial === 'miss')
      await storeTrial(cache.key, dir)
    return outcome
  }
  await outcome.save()

  let plan: ReturnType<typeof planPrompt>
  try {
    plan = planPrompt(goal, condition, settings, model)
  } catch (error) {
    return finish('infra_error', (error as Error).message)
  }
  record.prompt = {
    hash: plan.hash,
    skills: plan.skills,
    droppedSkills: plan.droppedSkills,
    skillBudgetTokens: plan.skillBudgetTokens,
    ...(plan.example ? { example: plan.example } : {}),
  }
  const cacheKey = (cache.key = trialKey({
    model,
    promptHash: plan.hash,
    goalHash: goal.hash,
    condition: condition.name,
    sample,
    execution: { ...settings.execution, timeoutSeconds: goal.timeoutSeconds },
  }))
  record.cache = { mode, key: cacheKey.slice(0, 16), trial: 'miss', call: 'none' }
  if (mode === 'on' && (await restoreTrial(cacheKey, dir))) return restored(outcome, cacheKey)

  await writeFile(path.join(dir, 'prompt.json'), JSON.stringify(plan.messages, null, 2))
  record.artifacts.prompt = 'prompt.json'

  const calls = { made: 0, cached: 0 }
  /** One model call: from the call cache, or through a provider slot with retries and the model-id check. */
  const callModel = async (messages: ChatMessage[], tools?: ToolSpec[]): Promise<ChatResult> => {
    const key = callKey(model, tools ? { messages, tools } : messages, sample)
    const cached = mode === 'on' ? await readCall<ChatResult>(key) : undefined
    if (cached) {
      calls.cached += 1
      return { ...cached, toolCalls: cached.toolCalls ?? [] }
    }
    const leaseMs = (model.timeout_seconds * DEFAULT_RETRY.maxAttempts + DEFAULT_RETRY.maxTotalMs / 1000) * 1000
    const reply = await withSlot(input.brokerUrl, model, leaseMs, () =>
      chat(model, messages, {
        ...(tools ? { tools } : {}),
        ...(input.fixtureUrl ? { baseUrl: input.fixtureUrl } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      }),
    )
    calls.made += 1
    if (mode !== 'off') await writeCall(key, reply)
    return reply
  }
  const execute = async (notebook: string): Promise<ExecutionReport> => {
    const execution = await executeNotebook({
      notebook,
      trialDir: dir,
      totalTimeoutSeconds: goal.timeoutSeconds,
      settings: settings.execution,
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onWarning ? { onWarning: input.onWarning } : {}),
    })
    outcome.execution = execution
    record.artifacts.notebook = path.relative(dir, notebook)
    record.execution = {
      status: execution.status,
      isolated: execution.isolated,
      wallMs: execution.wallMs,
      cellsRun: execution.cells.filter((c) => c.status === 'ok' || c.status === 'error' || c.status === 'timeout')
        .length,
      codeCells: execution.cells.filter((c) => c.status !== 'skipped').length,
      firstError: execution.firstError
        ? { cell: execution.firstError.cell, ename: execution.firstError.ename, evalue: execution.firstError.evalue }
        : null,
    }
    if (execution.executedNotebook) record.artifacts.executed = path.relative(dir, execution.executedNotebook)
    record.artifacts.execution = 'execution.json'
    await outcome.save()
    return execution
  }
  const finishExecuted = (execution: ExecutionReport | undefined, noExecution: string): Promise<TrialOutcome> => {
    record.cache!.call = calls.made === 0 && calls.cached > 0 ? 'hit' : 'miss'
    if (!execution) return finish('generation_failed', noExecution)
    if (execution.status === 'harness_error' || execution.status === 'harness_timeout')
      return finish('infra_error', execution.harnessError)
    return finish(execution.status === 'ok' ? 'ok' : 'execution_failed')
  }

  if (plan.catalog && strategyOf(model) !== 'driver-navigator') {
    return finish(
      'infra_error',
      `condition "${condition.name}" delivers skills on demand, which needs tool calls, but model "${model.name}" runs single-shot`,
    )
  }
  try {
    if (strategyOf(model) === 'driver-navigator') {
      const transcript = path.join(dir, 'transcript.jsonl')
      record.artifacts.transcript = 'transcript.jsonl'
      const started = performance.now()
      const loop = await driverNavigatorLoop({
        goal: plan.task,
        skills: plan.skillText,
        ...(plan.catalog ? { catalog: plan.catalog } : {}),
        checkSyntax,
        transcript,
        call: async (_role, messages, tools) => {
          const reply = await callModel(messages, tools)
          record.model.reported = reply.reportedModel
          return reply
        },
        execute: async (draft) => {
          const notebook = path.join(dir, 'workflow.ipynb')
          await writeFile(notebook, draft.toJson())
          return execute(notebook)
        },
      })
      record.generation = {
        tokensIn: loop.tokensIn,
        tokensOut: loop.tokensOut,
        latencyMs: performance.now() - started,
        finishReason: loop.stopReason,
        attempts: calls.made + calls.cached,
      }
      record.loop = {
        rounds: loop.rounds,
        turns: loop.turns,
        stopReason: loop.stopReason,
        ...(plan.catalog ? { skillsRead: loop.skillsRead } : {}),
      }
      return await finishExecuted(
        loop.execution,
        `the driver/navigator loop stopped (${loop.stopReason}) before any notebook was executed`,
      )
    }

    const reply = await callModel(plan.messages)
    record.model.reported = reply.reportedModel
    record.generation = {
      tokensIn: reply.tokensIn,
      tokensOut: reply.tokensOut,
      latencyMs: reply.latencyMs,
      finishReason: reply.finishReason,
      attempts: reply.attempts,
    }
    await writeFile(path.join(dir, 'reply.md'), reply.content)
    record.artifacts.reply = 'reply.md'
    const extracted = extractScript(reply.content)
    if (!extracted.ok) return await finishExecuted(undefined, extracted.reason)
    const script = path.join(dir, 'workflow.py')
    await writeFile(script, extracted.script)
    record.artifacts.script = 'workflow.py'
    const notebook = path.join(dir, 'workflow.ipynb')
    try {
      await notebookFromScript(script, notebook, settings.execution.sandbox)
    } catch (error) {
      if (error instanceof ConversionError) return await finishExecuted(undefined, error.message)
      throw error
    }
    return await finishExecuted(await execute(notebook), '')
  } catch (error) {
    if (error instanceof ProviderError || error instanceof ModelMismatchError)
      return finish('infra_error', error.message)
    throw error
  }
}

/**
 * A cache hit: the finished trial's files are already copied into the new directory. Keep what
 * happened (generation, execution, status); give it this run's identity; checks run again.
 */
async function restored(outcome: TrialOutcome, key: string): Promise<TrialOutcome> {
  const { dir, record } = outcome
  const cached = TrialRecordSchema.parse(JSON.parse(await readFile(path.join(dir, 'trial.json'), 'utf8')))
  const { judge: _judgedInAnotherRun, ...finished } = cached // this run's judge grades it again (or not)
  Object.assign(record, {
    ...finished,
    runId: record.runId,
    artifacts: { ...cached.artifacts, dir: record.artifacts.dir },
    checks: {},
    startedAt: record.startedAt,
    finishedAt: new Date().toISOString(),
    cache: { mode: record.cache?.mode ?? 'on', key: key.slice(0, 16), trial: 'hit', call: 'none', from: cached.runId },
  })
  const execution = await loadExecutionReport(dir)
  if (execution) outcome.execution = execution
  await outcome.save()
  return outcome
}
