import OpenAI from 'openai'
import type { ModelSpec } from '../config/models.ts'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** One model call as it really happened: what the provider says it ran, and what it cost. */
export interface ChatResult {
  content: string
  requestedModel: string
  reportedModel: string
  tokensIn: number | null
  tokensOut: number | null
  latencyMs: number
  finishReason: string | null
}

/** The provider answered, but not as the model we asked for (lesson 1 of the bash pipeline). */
export class ModelMismatchError extends Error {
  override name = 'ModelMismatchError'
}

/** The provider is unreachable, refused, or timed out: an infrastructure error, not a score. */
export class ProviderError extends Error {
  override name = 'ProviderError'
}

/** OpenAI answers "gpt-4o" with a dated snapshot id; anything else is a different model. */
export function sameModel(requested: string, reported: string): boolean {
  return reported === requested || reported.startsWith(`${requested}-`) || reported.endsWith(`/${requested}`)
}

export interface ChatOptions {
  /** Base URL override (the fixture server's URL for fixture models). */
  baseUrl?: string
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
}

export function clientFor(model: ModelSpec, options: ChatOptions = {}): OpenAI {
  const env = options.env ?? process.env
  if (model.provider === 'fixture') {
    if (!options.baseUrl) throw new ProviderError(`model "${model.name}" is a fixture model but no fixture server is running (globalSetup did not start it)`)
    return new OpenAI({ baseURL: options.baseUrl, apiKey: 'fixture', timeout: model.timeout_seconds * 1000, maxRetries: 0 })
  }
  let apiKey = 'not-needed'
  if (model.api_key_env) {
    const value = env[model.api_key_env]
    if (!value) throw new ProviderError(`model "${model.name}": the environment variable ${model.api_key_env} (api_key_env in models.yaml) is not set`)
    apiKey = value
  }
  return new OpenAI({ baseURL: options.baseUrl ?? model.base_url, apiKey, timeout: model.timeout_seconds * 1000, maxRetries: 2 })
}

/** One chat completion, with the model id read back from the response and checked. */
export async function chat(model: ModelSpec, messages: ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
  const client = clientFor(model, options)
  // only the options models.yaml sets; the API distinguishes "absent" from null
  const generation = Object.fromEntries(Object.entries(model.generation).filter(([, value]) => value !== undefined))
  const started = performance.now()
  let response: OpenAI.Chat.Completions.ChatCompletion
  try {
    response = await client.chat.completions.create(
      { model: model.model, messages, ...generation },
      options.signal ? { signal: options.signal } : {},
    )
  } catch (error) {
    const detail = error instanceof OpenAI.APIError ? `${error.status ?? 'no status'} ${error.message}` : (error as Error).message
    throw new ProviderError(`model "${model.name}" (${model.model}): ${detail}`, { cause: error })
  }
  const latencyMs = performance.now() - started
  if (!sameModel(model.model, response.model)) {
    throw new ModelMismatchError(`asked ${model.provider} for "${model.model}" but the response came from "${response.model}"`)
  }
  const choice = response.choices[0]
  return {
    content: choice?.message.content ?? '',
    requestedModel: model.model,
    reportedModel: response.model,
    tokensIn: response.usage?.prompt_tokens ?? null,
    tokensOut: response.usage?.completion_tokens ?? null,
    latencyMs,
    finishReason: choice?.finish_reason ?? null,
  }
}
