import { setTimeout as sleep } from 'node:timers/promises'
import type { ModelSpec } from '../config/models.ts'
import { completeEmbedded } from './embedded-provider.ts'
import { completeOllama } from './ollama-provider.ts'
import { completeOpenAI } from './openai-provider.ts'
import { ModelMismatchError, ProviderError, type CallOptions, type ChatMessage, type ProviderReply } from './types.ts'

export { ModelMismatchError, ProviderError, type CallOptions, type ChatMessage }

/** One model call as it really happened: what the provider says it ran, and what it cost. */
export interface ChatResult extends ProviderReply {
  requestedModel: string
  latencyMs: number
  /** Attempts made, 1 when the first one answered. */
  attempts: number
}

/** OpenAI answers "gpt-4o" with a dated snapshot id; anything else is a different model. */
export function sameModel(requested: string, reported: string): boolean {
  return reported === requested || reported.startsWith(`${requested}-`) || reported.endsWith(`/${requested}`)
}

export interface RetryPolicy {
  maxAttempts: number
  maxTotalMs: number
  baseDelayMs: number
  maxDelayMs: number
}
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  maxTotalMs: 120_000,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
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

function complete(model: ModelSpec, messages: ChatMessage[], options: CallOptions): Promise<ProviderReply> {
  switch (model.provider) {
    case 'fixture':
      if (model.protocol === 'ollama') {
        // the fixture server also speaks Ollama's /api/chat: drive it with the real ollama client
        if (!options.baseUrl)
          throw new ProviderError(`model "${model.name}" is a fixture model but no fixture server is running`)
        const host = new URL(options.baseUrl).origin
        return completeOllama({ ...model, provider: 'ollama', host }, messages, options)
      }
      return completeOpenAI(model, messages, options)
    case 'openai':
      return completeOpenAI(model, messages, options)
    case 'ollama':
      return completeOllama(model, messages, options)
    case 'embedded':
      return completeEmbedded(model, messages, options)
  }
}

export interface ChatOptions extends CallOptions {
  retry?: Partial<RetryPolicy>
}

/** One chat completion with bounded retries, and the model id read back from the response and checked. */
export async function chat(model: ModelSpec, messages: ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
  const policy = { ...DEFAULT_RETRY, ...options.retry }
  const started = performance.now()
  for (let attempt = 1; ; attempt++) {
    const attemptStarted = performance.now()
    let reply: ProviderReply
    try {
      reply = await complete(model, messages, options)
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable || options.signal?.aborted) throw error
      const delay = retryDelayMs(attempt, policy, error.retryAfterSeconds)
      const elapsed = performance.now() - started
      if (attempt >= policy.maxAttempts || elapsed + delay > policy.maxTotalMs) {
        throw new ProviderError(
          `${error.message} (gave up after ${attempt} attempt${attempt > 1 ? 's' : ''} in ${(elapsed / 1000).toFixed(1)} s)`,
          false,
          undefined,
          { cause: error },
        )
      }
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : {})
      continue
    }
    if (!sameModel(model.model, reply.reportedModel)) {
      throw new ModelMismatchError(
        `asked ${model.provider} for "${model.model}" but the response came from "${reply.reportedModel}"`,
      )
    }
    return { ...reply, requestedModel: model.model, latencyMs: performance.now() - attemptStarted, attempts: attempt }
  }
}
