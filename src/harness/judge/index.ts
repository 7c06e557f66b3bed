import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ModelSpec, ModelsFile } from '../config/models.ts'
import type { RunSettings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import { DEFAULT_GGUF } from '../config/paths.ts'
import { cacheMode } from '../store/cache.ts'
import type { CellReport } from '../notebook/report.ts'
import type { TrialRecord } from '../trial/record.ts'
import type { TrialOutcome } from '../trial/run.ts'
import { digestNotebook } from './digest.ts'
import { JudgeError, judgeNotebook, type JudgeResult } from './judge.ts'
import { loadRubric, type JudgeDimension } from './rubric.ts'

export { JudgeError, judgeMessages, judgeNotebook, parseJudgement } from './judge.ts'
export { digestNotebook, neutralize } from './digest.ts'
export { loadRubric, JudgementSchema, RubricError } from './rubric.ts'

/** The judge a model project uses: resolved from models.yaml (or SKILLDELTA_JUDGE) in the main process. */
export interface JudgeSetup {
  model: ModelSpec
  allowSameAsGenerator: boolean
}

/** What a judge check receives: a verdict, or why there is none (a failure of the check, never a score). */
export type JudgeSubject =
  | {
      judged: true
      scores: Record<JudgeDimension, number>
      mean: number
      reasons: Record<JudgeDimension, string>
      judgeModel: string
      flags: number
    }
  | { judged: false; reason: string }

/** Pick the judge: SKILLDELTA_JUDGE (a model name, or "none") over models.yaml's judge section. */
export function resolveJudge(
  file: Pick<ModelsFile, 'models' | 'judges' | 'judge'>,
  env = process.env,
): JudgeSetup | undefined {
  const config = file.judge
  const name = env.SKILLDELTA_JUDGE || config?.model
  if (!name || name === 'none') return undefined
  const candidates = [...file.models, ...file.judges]
  const model = candidates.find((m) => m.name === name)
  if (!model)
    throw new Error(
      `SKILLDELTA_JUDGE="${name}": no model of that name under models: or judges: in models.yaml (use one of ${candidates.map((m) => m.name).join(', ')}, or "none")`,
    )
  return { model, allowSameAsGenerator: config?.allow_same_as_generator ?? false }
}

/** Model ids name the same weights when they differ only by Ollama's implicit ":latest" tag. */
const canonicalId = (id: string): string => id.replace(/:latest$/, '')

/**
 * A self-judging setup: the same entry, or the same model id behind the same kind of endpoint
 * (exact ids: "gpt-4o" and "gpt-4o-mini" are different models). The same weights served by two
 * different providers cannot be told apart here — name your judge with care.
 */
export function isSameModel(judge: ModelSpec, generator: ModelSpec): boolean {
  if (judge.name === generator.name) return true
  if (judge.provider !== generator.provider) return false
  if (judge.provider === 'embedded' && generator.provider === 'embedded')
    return (judge.gguf ?? DEFAULT_GGUF) === (generator.gguf ?? DEFAULT_GGUF)
  return canonicalId(judge.model) === canonicalId(generator.model)
}

export interface JudgeTrialInput {
  goal: Goal
  outcome: TrialOutcome
  setup: JudgeSetup
  settings: RunSettings
  fixtureUrl?: string
  brokerUrl?: string
  signal?: AbortSignal
}

/**
 * Judge a finished trial: digest the notebook that was executed last, ask the judge, and write the
 * verdict (or the judge_error) into the trial record, with the digest and judgement as artifacts.
 */
export async function judgeTrial(input: JudgeTrialInput): Promise<JudgeSubject> {
  const { record, execution } = input.outcome
  if (record.status !== 'ok' && record.status !== 'execution_failed') {
    return {
      judged: false,
      reason: `there is no executed notebook to judge (${record.status}${record.error ? `: ${record.error}` : ''})`,
    }
  }
  // only the copy the harness collected: the sandbox's own files are the notebook's to forge
  if (!execution?.executedNotebook)
    return {
      judged: false,
      reason: 'the harness could not collect the executed notebook, so there is nothing trustworthy to judge',
    }
  try {
    return await judgeExecuted(input, execution.executedNotebook, execution.cells)
  } catch (error) {
    // an unreadable notebook or a harness fault is still recorded as a failed judgement, never a silent gap
    const message = (error as Error).message
    return failJudgement(input, { kind: 'harness', message, attempts: 0 })
  }
}

interface JudgeBase {
  model: { name: string; requested: string; reported: string | null }
  rubric?: NonNullable<TrialRecord['judge']>['rubric']
  digest?: NonNullable<TrialRecord['judge']>['digest']
  flags: NonNullable<TrialRecord['judge']>['flags']
}

async function failJudgement(
  input: JudgeTrialInput,
  failure: { kind: string; message: string; attempts: number },
  base: JudgeBase = {
    model: { name: input.setup.model.name, requested: input.setup.model.model, reported: null },
    flags: [],
  },
): Promise<JudgeSubject> {
  const { record } = input.outcome
  record.judge = {
    ...base,
    status: 'error',
    attempts: failure.attempts,
    tokensIn: null,
    tokensOut: null,
    latencyMs: 0,
    cache: 'miss',
    error: { kind: failure.kind, message: failure.message },
  }
  // a notebook that ran keeps its execution status when only the judging failed
  if (record.status === 'ok') {
    record.status = 'judge_error'
    record.error = `judge ${input.setup.model.name}: ${failure.message}`
  }
  await input.outcome.save()
  return { judged: false, reason: `judge_error (${failure.kind}): ${failure.message}` }
}

async function judgeExecuted(input: JudgeTrialInput, notebookFile: string, cells: CellReport[]): Promise<JudgeSubject> {
  const { outcome, setup, settings } = input
  const { record, dir } = outcome
  const rubric = loadRubric(settings.judge.rubric, settings.judge.facts)
  const digest = digestNotebook(await readFile(notebookFile, 'utf8'), cells, {
    maxChars: settings.judge.maxDigestChars,
  })
  await writeFile(path.join(dir, 'judge-digest.md'), digest.text)
  record.artifacts.judgeDigest = 'judge-digest.md'
  const base: JudgeBase = {
    model: { name: setup.model.name, requested: setup.model.model, reported: null },
    rubric: { hash: rubric.hash.slice(0, 16), version: rubric.rubric.version, factsVersion: rubric.facts.version },
    digest: {
      hash: digest.hash.slice(0, 16),
      chars: digest.text.length,
      cells: digest.cells,
      truncatedCells: digest.truncatedCells,
    },
    flags: digest.flags,
  }
  let result: JudgeResult
  try {
    result = await judgeNotebook({
      judge: setup.model,
      rubric,
      task: input.goal.body,
      digest,
      attempts: settings.judge.attempts,
      cache: cacheMode(),
      ...(input.fixtureUrl ? { fixtureUrl: input.fixtureUrl } : {}),
      ...(input.brokerUrl ? { brokerUrl: input.brokerUrl } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    })
  } catch (error) {
    if (!(error instanceof JudgeError)) throw error
    return failJudgement(input, { kind: error.kind, message: error.message, attempts: error.attempts }, base)
  }
  const reasons = Object.fromEntries(Object.entries(result.judgement).map(([d, v]) => [d, v.reason])) as Record<
    JudgeDimension,
    string
  >
  record.judge = {
    ...base,
    model: { ...base.model, reported: result.reportedModel },
    status: 'ok',
    scores: result.scores,
    mean: result.mean,
    reasons,
    attempts: result.attempts,
    tokensIn: result.tokensIn,
    tokensOut: result.tokensOut,
    latencyMs: result.latencyMs,
    cache: result.cache,
  }
  await writeFile(path.join(dir, 'judgement.json'), `${JSON.stringify(record.judge, null, 2)}\n`)
  record.artifacts.judgement = 'judgement.json'
  await outcome.save()
  return {
    judged: true,
    scores: result.scores,
    mean: result.mean,
    reasons,
    judgeModel: result.reportedModel,
    flags: digest.flags.length,
  }
}
