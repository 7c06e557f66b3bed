import type { ModelSpec } from './models.ts'
import type { ExecutionSettings } from './settings.ts'

/**
 * Every time limit of a trial, derived in one place from the goal, the model and the execution
 * settings. The rule that keeps results from being lost: each outer limit is strictly larger than
 * what it contains, so the inner one always fires first and the trial can still record why.
 *
 *   model call ≤ call budget (with retries) ┐
 *   notebook (goal timeout) + kernel start + kill grace = execution ├─ trial deadline (one AbortSignal)
 *                                      < Vitest hook = trial deadline + time to record the outcome
 */

/**
 * How a failed call is retried. A failure (5xx, network, timeout) counts against `maxAttempts` and
 * `maxTotalMs`; a rate limit (429) does not fail the call: it waits its turn (Retry-After, else the
 * backoff) for as long as the caller's deadline allows — the trial's — and at most `rateLimitedMs`.
 */
export interface RetryPolicy {
  maxAttempts: number
  maxTotalMs: number
  baseDelayMs: number
  maxDelayMs: number
  rateLimitedMs: number
}
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  maxTotalMs: 120_000,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  rateLimitedMs: 1_800_000,
}

/** A broker slot is held for one attempt: reclaimed this long after the call's own timeout. */
const LEASE_GRACE_MS = 30_000
export const attemptLeaseMs = (model: Pick<ModelSpec, 'timeout_seconds'>): number =>
  Math.ceil(model.timeout_seconds * 1000) + LEASE_GRACE_MS

/** Driver/navigator generation (model calls and the executions between rounds) gets this long. */
export const DRIVER_NAVIGATOR_SECONDS = 1_800
/** Turning a percent script into a notebook (jupytext in a scratch sandbox). */
const CONVERSION_MS = 60_000
/** The runner gets this long beyond the notebook's own limits before its process tree is killed. */
const KILL_GRACE_MS = 30_000
/** Collecting the report, executed notebook and signals after the runner exits. */
const COLLECTION_MS = 30_000
/** Recording the outcome after the trial deadline: trial.json, records.jsonl, the trial cache. */
const RECORD_MS = 60_000
/** A non-judge check: signal selection, one analysis process (PSD), evidence rendering. */
const CHECK_MS = 300_000

export type Strategy = 'driver-navigator' | 'single-shot'

export interface TrialLimits {
  /** One provider call (models.yaml `timeout_seconds`). */
  modelCallMs: number
  /** One logical model call with its retries and backoff (rate limits wait up to the trial's deadline). */
  modelCallBudgetMs: number
  cellMs: number
  startupMs: number
  /** The notebook's own total budget (the goal's `timeout`). */
  notebookMs: number
  /** The runner is killed after this: notebook + kernel start + grace. */
  runnerMs: number
  /** One execution including collection of its results. */
  executionMs: number
  /** The generation strategy's budget. */
  generationMs: number
  /** The trial's deadline: one AbortSignal cancels whatever runs when it passes. */
  trialMs: number
  /** Vitest's beforeAll timeout: the deadline plus time to record the outcome. */
  hookMs: number
  /** One judgement, all its attempts. */
  judgeMs: number
}

export function callBudgetMs(model: Pick<ModelSpec, 'timeout_seconds'>, retry: RetryPolicy = DEFAULT_RETRY): number {
  return Math.ceil(model.timeout_seconds * 1000 * retry.maxAttempts + retry.maxTotalMs)
}

/** How long one notebook may take, from the runner's start to its results being collected. */
export function executionBudget(notebookSeconds: number, execution: Pick<ExecutionSettings, 'startupTimeoutSeconds'>) {
  const runnerMs = (notebookSeconds + execution.startupTimeoutSeconds) * 1000 + KILL_GRACE_MS
  return { runnerMs, executionMs: runnerMs + COLLECTION_MS }
}

interface LimitInputs {
  goal: { timeoutSeconds: number }
  model: Pick<ModelSpec, 'timeout_seconds'>
  strategy: Strategy
  execution: Pick<ExecutionSettings, 'cellTimeoutSeconds' | 'startupTimeoutSeconds'>
  /** The judge's model and how many attempts a judgement gets (no judge: 0). */
  judge?: { model: Pick<ModelSpec, 'timeout_seconds'>; attempts: number }
  retry?: RetryPolicy
}

export function deriveLimits(inputs: LimitInputs): TrialLimits {
  const retry = inputs.retry ?? DEFAULT_RETRY
  const notebookMs = inputs.goal.timeoutSeconds * 1000
  const { runnerMs, executionMs } = executionBudget(inputs.goal.timeoutSeconds, inputs.execution)
  const modelCallBudgetMs = callBudgetMs(inputs.model, retry)
  const singleShot = inputs.strategy === 'single-shot'
  const generationMs = singleShot ? modelCallBudgetMs + CONVERSION_MS : DRIVER_NAVIGATOR_SECONDS * 1000
  // driver-navigator executes inside its generation budget; single-shot executes once afterwards
  const trialMs = singleShot ? generationMs + executionMs : generationMs
  return {
    modelCallMs: inputs.model.timeout_seconds * 1000,
    modelCallBudgetMs,
    cellMs: Math.min(inputs.execution.cellTimeoutSeconds, inputs.goal.timeoutSeconds) * 1000,
    startupMs: inputs.execution.startupTimeoutSeconds * 1000,
    notebookMs,
    runnerMs,
    executionMs,
    generationMs,
    trialMs,
    hookMs: trialMs + RECORD_MS,
    judgeMs: inputs.judge ? callBudgetMs(inputs.judge.model, retry) * inputs.judge.attempts : 0,
  }
}

/** A check test's timeout: a judge check waits for the judgement, others for one analysis. */
export function checkTimeoutMs(limits: TrialLimits, needsJudge: boolean): number {
  return needsJudge ? limits.judgeMs + CHECK_MS : CHECK_MS
}
