import { setTimeout as sleep } from 'node:timers/promises'
import { attemptLeaseMs, DEFAULT_RETRY, type RetryPolicy } from '../config/limits.ts'
import type { ModelSpec } from '../config/models.ts'
import type { CacheMode } from '../config/settings.ts'
import { callKey, readCall, writeCall } from '../store/cache.ts'
import { definedOnly } from '../util/defined.ts'
import { acquireSlot, type Slot } from './broker.ts'
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
  /** The run's concurrency broker: every attempt holds a provider slot, every trial a ticket. */
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
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  retryAfterSeconds?: number,
  random = Math.random,
): number {
  if (retryAfterSeconds !== undefined) return Math.min(retryAfterSeconds * 1000, policy.maxDelayMs)
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)))
}

/**
 * The one way the harness calls a model — trials, the judge, and later the skill-improvement loop.
 * Around the provider it adds, in order: the call cache, retries with backoff, a concurrency slot
 * per attempt (shared by every worker; the broker adapts its limit from how each attempt went), and
 * provenance (the model id read back from every response and checked, latency, tokens). A throttled
 * attempt gives its slot back while it waits, so waiting calls never hold the provider's capacity.
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
    const reply = await this.withRetries(model, request, options.signal, options.sample)
    if (mode !== 'off') await writeCall(dir, key, { ...reply, cached: false })
    return reply
  }

  /**
   * Hold a trial ticket for this model's provider: trials are admitted at the provider's current
   * limit plus `alongside` (work that runs between calls, e.g. notebooks), so a provider that
   * throttles admits fewer trials and an admitted trial is not starved by later ones.
   */
  admit(model: ModelSpec, alongside: number, leaseMs: number, signal?: AbortSignal): Promise<Slot> {
    const provider = providerOf(model).concurrencyKey(model)
    return acquireSlot(
      this.options.brokerUrl,
      {
        key: `trials of ${provider}`,
        limit: model.concurrency + alongside,
        leaseMs,
        follows: { key: provider, extra: alongside },
      },
      signal,
    )
  }

  private async withRetries(
    model: ModelSpec,
    request: CompletionRequest,
    signal?: AbortSignal,
    sample?: number,
  ): Promise<ModelReply> {
    const provider = providerOf(model)
    const context = {
      env: this.env,
      ...(this.options.fixtureUrl ? { fixtureUrl: this.options.fixtureUrl } : {}),
      ...(signal ? { signal } : {}),
      ...(sample !== undefined ? { sample } : {}),
    }
    const slot = { key: provider.concurrencyKey(model), limit: model.concurrency, leaseMs: attemptLeaseMs(model) }
    const started = performance.now()
    let failures = 0
    let waits = 0
    for (let attempt = 1; ; attempt++) {
      const held = await acquireSlot(this.options.brokerUrl, slot, signal)
      const attemptStarted = performance.now()
      let reply: ProviderReply
      try {
        reply = await provider.complete(model, request, context)
      } catch (error) {
        const failed = error instanceof ProviderError ? error : undefined
        await held.release(
          failed?.throttled
            ? { outcome: 'throttled', ...definedOnly({ retryAfterSeconds: failed.retryAfterSeconds }) }
            : { outcome: 'failed' },
        )
        if (!failed || !failed.retryable || signal?.aborted) throw error
        const elapsed = performance.now() - started
        // a rate limit is the provider's queue, not a failure: wait for it within the caller's deadline
        const delay = failed.rateLimited
          ? retryDelayMs(++waits, this.retry, failed.retryAfterSeconds)
          : retryDelayMs(++failures, this.retry, failed.retryAfterSeconds)
        const exhausted = failed.rateLimited
          ? elapsed + delay > this.retry.rateLimitedMs
          : failures >= this.retry.maxAttempts || elapsed + delay > this.retry.maxTotalMs
        if (exhausted) {
          const tries = `${attempt} attempt${attempt > 1 ? 's' : ''}`
          throw new ProviderError(
            `${failed.message} (gave up after ${tries} in ${(elapsed / 1000).toFixed(1)} s)`,
            false,
            undefined,
            { cause: error, status: failed.status },
          )
        }
        await sleep(delay, undefined, signal ? { signal } : {})
        continue
      }
      await held.release({ outcome: 'ok' })
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
