import { setTimeout as sleep } from 'node:timers/promises'
import { callBudgetMs, DEFAULT_RETRY, type RetryPolicy } from '../config/limits.ts'
import type { ModelSpec } from '../config/models.ts'
import type { CacheMode } from '../config/settings.ts'
import { callKey, readCall, writeCall } from '../store/cache.ts'
import { withSlot } from './broker.ts'
import { providerOf } from './providers/index.ts'
import { ModelMismatchError, ProviderError, type CompletionRequest, type ProviderReply } from './types.ts'

/** One model call as it really happened: what the provider says it ran, and what it cost. */
export interface ModelReply extends ProviderReply {
  requestedModel: string
  latencyMs: number
  /** Attempts made, 1 when the first one answered (0 when served from the cache). */
  attempts: number
  /** Served from the call cache: no model was called. */
  cached: boolean
}

interface ModelClientOptions {
  /** The run's loopback fixture server, for fixture models. */
  fixtureUrl?: string
  /** The run's concurrency broker: every call holds a provider slot. */
  brokerUrl?: string
  cache: { mode: CacheMode; dir: string }
  retry?: Partial<RetryPolicy>
  /** Where API keys are read from (models.yaml names the variables). */
  env?: NodeJS.ProcessEnv
}

interface CallOptions {
  /** The trial's sample index: samples of one cell are distinct calls, never one cached reply. */
  sample?: number
  signal?: AbortSignal
}

/** Exponential backoff with full jitter, or the provider's own Retry-After when it gave one. */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfterSeconds?: number,
  random = Math.random,
): number {
  if (retryAfterSeconds !== undefined) return Math.min(retryAfterSeconds * 1000, policy.maxDelayMs)
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)))
}

/**
 * The one way the harness calls a model — trials, the judge, and later the skill-improvement loop.
 * Around the provider it adds, in order: the call cache, a concurrency slot shared by every worker,
 * bounded retries with backoff, and provenance (the model id read back from every response and
 * checked, latency, tokens).
 */
export class ModelClient {
  private readonly retry: RetryPolicy
  private readonly env: NodeJS.ProcessEnv

  constructor(private readonly options: ModelClientOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry }
    this.env = options.env ?? process.env
  }

  async complete(model: ModelSpec, request: CompletionRequest, options: CallOptions = {}): Promise<ModelReply> {
    const { mode, dir } = this.options.cache
    const key = callKey(providerOf(model).identity(model), request, options.sample ?? 0)
    if (mode === 'on') {
      const cached = await readCall<ModelReply>(dir, key)
      if (cached) return { ...cached, toolCalls: cached.toolCalls ?? [], cached: true, attempts: 0 }
    }
    const provider = providerOf(model)
    const slot = {
      key: provider.concurrencyKey(model),
      limit: model.concurrency,
      leaseMs: callBudgetMs(model, this.retry),
    }
    const reply = await withSlot(
      this.options.brokerUrl,
      slot,
      () => this.withRetries(model, request, options.signal),
      options.signal,
    )
    if (mode !== 'off') await writeCall(dir, key, { ...reply, cached: false })
    return reply
  }

  private async withRetries(model: ModelSpec, request: CompletionRequest, signal?: AbortSignal): Promise<ModelReply> {
    const provider = providerOf(model)
    const context = {
      env: this.env,
      ...(this.options.fixtureUrl ? { fixtureUrl: this.options.fixtureUrl } : {}),
      ...(signal ? { signal } : {}),
    }
    const started = performance.now()
    for (let attempt = 1; ; attempt++) {
      const attemptStarted = performance.now()
      let reply: ProviderReply
      try {
        reply = await provider.complete(model, request, context)
      } catch (error) {
        if (!(error instanceof ProviderError) || !error.retryable || signal?.aborted) throw error
        const delay = retryDelayMs(attempt, this.retry, error.retryAfterSeconds)
        const elapsed = performance.now() - started
        if (attempt >= this.retry.maxAttempts || elapsed + delay > this.retry.maxTotalMs) {
          const tries = `${attempt} attempt${attempt > 1 ? 's' : ''}`
          throw new ProviderError(
            `${error.message} (gave up after ${tries} in ${(elapsed / 1000).toFixed(1)} s)`,
            false,
            undefined,
            {
              cause: error,
            },
          )
        }
        await sleep(delay, undefined, signal ? { signal } : {})
        continue
      }
      if (!provider.sameModel(model, reply.reportedModel)) {
        throw new ModelMismatchError(
          `asked ${model.provider} for "${model.model}" but the response came from "${reply.reportedModel}"`,
        )
      }
      return {
        ...reply,
        requestedModel: model.model,
        latencyMs: performance.now() - attemptStarted,
        attempts: attempt,
        cached: false,
      }
    }
  }
}
