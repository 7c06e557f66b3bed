import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ModelSpec, ModelsFile } from '../config/models.ts'
import type { JudgeSettings } from '../config/settings.ts'
import type { ModelClient } from '../models/client.ts'
import type { ExecutionReport } from '../notebook/report.ts'
import type { TrialRecord, TrialStatus } from '../results/schema.ts'
import { digestNotebook } from './digest.ts'
import { JudgeError, judgeNotebook, type JudgeResult } from './judge.ts'
import { loadRubric } from './rubric.ts'
import { JUDGE_DIMENSIONS, type JudgeDimension, type JudgeSubject } from './subject.ts'

/** The judge a model project uses: resolved from models.yaml (or SKILLDELTA_JUDGE) in the main process. */
export interface JudgeSetup {
  model: ModelSpec
  allowSameAsGenerator: boolean
}

/** The record's `judge` field: the verdict, or why judging failed. */
export type JudgeRecord = NonNullable<TrialRecord['judge']>

/** Pick the judge: SKILLDELTA_JUDGE (a model name, or "none") over models.yaml's judge section. */
export function resolveJudge(
  file: Pick<ModelsFile, 'models' | 'judges' | 'judge'>,
  override?: string,
): JudgeSetup | undefined {
  const config = file.judge
  const name = override || config?.model
  if (!name || name === 'none') return undefined
  const candidates = [...file.models, ...file.judges]
  const model = candidates.find((m) => m.name === name)
  if (!model) {
    const names = candidates.map((m) => m.name).join(', ')
    throw new Error(
      `SKILLDELTA_JUDGE="${name}": no model of that name under models: or judges: in models.yaml ` +
        `(use one of ${names}, or "none")`,
    )
  }
  return { model, allowSameAsGenerator: config?.allow_same_as_generator ?? false }
}

interface JudgeTrialInput {
  /** The goal as the model under test was given it (its Markdown body). */
  task: string
  /** The goal's tier (the rubric's guidance for it applies). */
  tier?: string
  /** Research goals: the paper's result, from the goal's Expected Result section. */
  expected?: string
  /** The trial's status so far: only a produced, executed notebook is judged. */
  status: TrialStatus
  error?: string
  execution: ExecutionReport | undefined
  /** The trial directory: the digest and the judgement are written here as artifacts. */
  dir: string
  setup: JudgeSetup
  settings: JudgeSettings
  client: ModelClient
  signal?: AbortSignal
}

/** What judging a trial produced: the subject the check asserts on, and what the trial records. */
interface JudgeOutcome {
  subject: JudgeSubject
  /** Absent when there was nothing to judge (no notebook): the trial records no judgement. */
  record?: JudgeRecord
  /** Artifacts written into the trial directory, by record key. */
  artifacts: Record<string, string>
}

/**
 * Judge a finished trial: digest the notebook that was executed last (the copy the harness
 * collected), ask the judge, and return the verdict. Never throws for a judge's misbehaviour: a
 * failed judgement is an outcome (`record.status: 'error'`), never a score.
 */
export async function judgeTrial(input: JudgeTrialInput): Promise<JudgeOutcome> {
  if (input.status !== 'ok' && input.status !== 'execution_failed') {
    const why = `${input.status}${input.error ? `: ${input.error}` : ''}`
    return { subject: { judged: false, reason: `there is no executed notebook to judge (${why})` }, artifacts: {} }
  }
  // only the copy the harness collected: the sandbox's own files are the notebook's to forge
  const notebook = input.execution?.executedNotebook
  if (!notebook || !input.execution) {
    const reason = 'the harness could not collect the executed notebook, so there is nothing trustworthy to judge'
    return { subject: { judged: false, reason }, artifacts: {} }
  }
  const base: Omit<JudgeRecord, 'status' | 'attempts' | 'tokensIn' | 'tokensOut' | 'latencyMs' | 'cache'> = {
    model: { name: input.setup.model.name, requested: input.setup.model.model, reported: null },
    flags: [],
  }
  const artifacts: Record<string, string> = {}
  const failed = (kind: string, message: string, attempts: number): JudgeOutcome => ({
    subject: { judged: false, reason: `judge_error (${kind}): ${message}` },
    record: {
      ...base,
      status: 'error',
      attempts,
      tokensIn: null,
      tokensOut: null,
      latencyMs: 0,
      cache: 'miss',
      error: { kind, message },
    },
    artifacts,
  })
  let result: JudgeResult
  try {
    const rubric = loadRubric(input.settings.rubric, input.settings.facts)
    const digest = digestNotebook(await readFile(notebook, 'utf8'), input.execution.cells, {
      maxChars: input.settings.maxDigestChars,
    })
    await writeFile(path.join(input.dir, 'judge-digest.md'), digest.text)
    artifacts.judgeDigest = 'judge-digest.md'
    base.rubric = { hash: rubric.hash.slice(0, 16), version: rubric.rubric.version, factsVersion: rubric.facts.version }
    base.digest = {
      hash: digest.hash.slice(0, 16),
      chars: digest.text.length,
      cells: digest.cells,
      truncatedCells: digest.truncatedCells,
    }
    base.flags = digest.flags
    result = await judgeNotebook({
      judge: input.setup.model,
      rubric,
      task: input.task,
      ...(input.tier ? { tier: input.tier } : {}),
      ...(input.expected ? { expected: input.expected } : {}),
      digest,
      attempts: input.settings.attempts,
      client: input.client,
      ...(input.signal ? { signal: input.signal } : {}),
    })
  } catch (error) {
    if (error instanceof JudgeError) return failed(error.kind, error.message, error.attempts)
    // an unreadable notebook or a harness fault is still a failed judgement, never a silent gap
    return failed('harness', (error as Error).message, 0)
  }
  const reasons = Object.fromEntries(JUDGE_DIMENSIONS.map((d) => [d, result.judgement[d].reason])) as Record<
    JudgeDimension,
    string
  >
  const record: JudgeRecord = {
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
  await writeFile(path.join(input.dir, 'judgement.json'), `${JSON.stringify(record, null, 2)}\n`)
  artifacts.judgement = 'judgement.json'
  const subject: JudgeSubject = {
    judged: true,
    scores: result.scores,
    mean: result.mean,
    reasons,
    judgeModel: result.reportedModel,
    flags: base.flags.length,
  }
  return { subject, record, artifacts }
}
