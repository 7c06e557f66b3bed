import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ModelSpec, ModelsFile } from '../config/models.ts'
import type { RunSettings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import { sameModel } from '../models/chat.ts'
import { cacheMode } from '../store/cache.ts'
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
  | { judged: true; scores: Record<JudgeDimension, number>; mean: number; reasons: Record<JudgeDimension, string>; judgeModel: string; flags: number }
  | { judged: false; reason: string }

/** Pick the judge: SKILLDELTA_JUDGE (a model name, or "none") over models.yaml's judge section. */
export function resolveJudge(file: Pick<ModelsFile, 'models' | 'judges' | 'judge'>, env = process.env): JudgeSetup | undefined {
  const config = file.judge
  const name = env.SKILLDELTA_JUDGE || config?.model
  if (!name || name === 'none') return undefined
  const candidates = [...file.models, ...file.judges]
  const model = candidates.find((m) => m.name === name)
  if (!model) throw new Error(`SKILLDELTA_JUDGE="${name}": no model of that name under models: or judges: in models.yaml (use one of ${candidates.map((m) => m.name).join(', ')}, or "none")`)
  return { model, allowSameAsGenerator: config?.allow_same_as_generator ?? false }
}

/** The same weights behind the same kind of endpoint: a self-judging setup. */
export function isSameModel(judge: ModelSpec, generator: ModelSpec): boolean {
  if (judge.name === generator.name) return true
  if (judge.provider !== generator.provider) return false
  if (judge.provider === 'embedded' && generator.provider === 'embedded') return (judge.gguf ?? '') === (generator.gguf ?? '')
  return sameModel(judge.model, generator.model) || sameModel(generator.model, judge.model)
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
  const { outcome, setup, settings } = input
  const { record, execution, dir } = outcome
  if (!execution) return { judged: false, reason: `there is no executed notebook to judge (${record.error ?? record.status})` }
  const rubric = loadRubric(settings.judge.rubric, settings.judge.facts)
  const notebookFile = execution.executedNotebook ?? execution.notebook
  const digest = digestNotebook(await readFile(notebookFile, 'utf8'), execution.cells, { maxChars: settings.judge.maxDigestChars })
  await writeFile(path.join(dir, 'judge-digest.md'), digest.text)
  record.artifacts.judgeDigest = 'judge-digest.md'
  const base = {
    model: { name: setup.model.name, requested: setup.model.model, reported: null as string | null },
    rubric: { hash: rubric.hash.slice(0, 16), version: rubric.rubric.version, factsVersion: rubric.facts.version },
    digest: { hash: digest.hash.slice(0, 16), chars: digest.text.length, cells: digest.cells, truncatedCells: digest.truncatedCells },
    flags: digest.flags,
  }
  let result: JudgeResult
  try {
    result = await judgeNotebook({
      judge: setup.model,
      rubric,
      task: input.goal.body,
      goalHash: input.goal.hash,
      digest,
      attempts: settings.judge.attempts,
      cache: cacheMode(),
      ...(input.fixtureUrl ? { fixtureUrl: input.fixtureUrl } : {}),
      ...(input.brokerUrl ? { brokerUrl: input.brokerUrl } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    })
  } catch (error) {
    if (!(error instanceof JudgeError)) throw error
    record.judge = { ...base, status: 'error', attempts: error.attempts, tokensIn: null, tokensOut: null, latencyMs: 0, cache: 'miss', error: { kind: error.kind, message: error.message } }
    record.status = 'judge_error'
    record.error = `judge ${setup.model.name}: ${error.message}`
    await outcome.save()
    return { judged: false, reason: `judge_error (${error.kind}): ${error.message}` }
  }
  const reasons = Object.fromEntries(Object.entries(result.judgement).map(([d, v]) => [d, v.reason])) as Record<JudgeDimension, string>
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
  return { judged: true, scores: result.scores, mean: result.mean, reasons, judgeModel: result.reportedModel, flags: digest.flags.length }
}
