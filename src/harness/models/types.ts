import type { Strategy } from '../config/limits.ts'
import type { ModelSpec } from '../config/models.ts'

export interface ToolCall {
  id: string
  name: string
  /** Parsed JSON arguments (validated by the tool's own zod schema, not here). */
  arguments: unknown
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string; name: string }

/** A function the model may call: name, description and JSON-schema parameters. */
export interface ToolSpec {
  name: string
  description: string
  parameters: Record<string, unknown>
}

/** A JSON schema the reply must follow (the judge's verdict). */
export interface ResponseFormat {
  name: string
  schema: Record<string, unknown>
}

/** What the harness asks of a model in one call. */
export interface CompletionRequest {
  messages: ChatMessage[]
  /** Tools the model may call this turn. */
  tools?: ToolSpec[]
  /** Ask for JSON following this schema, in the way the model's `structured_output` says. */
  responseFormat?: ResponseFormat
}

/** What a provider answered, before the harness checks it. */
export interface ProviderReply {
  content: string
  toolCalls: ToolCall[]
  reportedModel: string
  tokensIn: number | null
  tokensOut: number | null
  finishReason: string | null
}

/** Services a run starts for its models (loopback servers), and the environment holding API keys. */
export interface ProviderContext {
  /** The run's fixture server (OpenAI wire at `${fixtureUrl}`, Ollama wire at its origin). */
  fixtureUrl?: string
  env: NodeJS.ProcessEnv
  signal?: AbortSignal
  /**
   * The trial's sample index. Only the fixture server reads it (a scripted model draws its seeded
   * reply per sample, as a real model samples anew); real backends are not told.
   */
  sample?: number
}

/**
 * Everything about one backend. Adding a backend = one module implementing this, plus its line in
 * models/providers/index.ts and its models.yaml schema.
 */
export interface Provider<M extends ModelSpec = ModelSpec> {
  readonly kind: M['provider']
  /** How trials get a notebook from this backend unless models.yaml says `strategy:`. */
  readonly defaultStrategy: Strategy
  complete(model: M, request: CompletionRequest, context: ProviderContext): Promise<ProviderReply>
  /** What identifies the answering model for the cache: endpoint, id, options, and local files' content. */
  identity(model: M): Record<string, unknown>
  /** Calls with the same key share one concurrency limit (one endpoint, one machine). */
  concurrencyKey(model: M): string
  /** Whether the reported model id is the one asked for. */
  sameModel(model: M, reported: string): boolean
  /** Whether two models of this backend are the same weights (a judge grading its own notebooks). */
  sameWeights(a: M, b: M): boolean
  /** Why this model cannot answer at all (server down, weights missing), checked once per run. */
  unavailable(model: M, context: ProviderContext): Promise<string | undefined>
}

/** The provider answered, but not as the model we asked for (lesson 1 of the bash pipeline). */
export class ModelMismatchError extends Error {
  override name = 'ModelMismatchError'
}

/** The provider is unreachable, refused, or timed out: an infrastructure error, not a score. */
export class ProviderError extends Error {
  override name = 'ProviderError'
  /** The HTTP status the provider answered with, when it answered. */
  readonly status: number | undefined
  constructor(
    message: string,
    readonly retryable = false,
    /** Seconds the provider asked us to wait (Retry-After), when it said. */
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions & { status?: number | undefined },
  ) {
    super(message, options)
    this.status = options?.status
  }

  /** The provider said it is overloaded or rate-limiting (429, 503): fewer calls at once will help. */
  get throttled(): boolean {
    return this.status === 429 || this.status === 503
  }

  /** Rate-limited (429): the call is fine, it must wait its turn — retried for as long as the trial may wait. */
  get rateLimited(): boolean {
    return this.status === 429
  }
}

/** The API key for a model, from the environment variable models.yaml names (never the key itself). */
export function apiKeyFor(
  model: ModelSpec & { api_key_env?: string | undefined },
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (!model.api_key_env) return undefined
  const value = env[model.api_key_env]
  if (!value) {
    throw new ProviderError(
      `model "${model.name}": the environment variable ${model.api_key_env} (api_key_env in models.yaml) is not set`,
    )
  }
  return value
}

/** OpenAI answers "gpt-4o" with a dated snapshot id; anything else is a different model. */
export function sameModelId(requested: string, reported: string): boolean {
  return reported === requested || reported.startsWith(`${requested}-`) || reported.endsWith(`/${requested}`)
}

/** Model ids name the same weights when they differ only by Ollama's implicit ":latest" tag. */
export const canonicalId = (id: string): string => id.replace(/:latest$/, '')

/**
 * What the backends reached over HTTP share: the endpoint identifies the model for the cache and
 * holds the concurrency limit; ids are compared as tags.
 */
export function endpointTraits<M extends ModelSpec>(
  kind: string,
  endpoint: (model: M) => string,
): Pick<Provider<M>, 'identity' | 'concurrencyKey' | 'sameModel' | 'sameWeights'> {
  return {
    identity: (model) => ({
      provider: model.provider,
      model: model.model,
      generation: model.generation,
      endpoint: endpoint(model),
    }),
    concurrencyKey: (model) => `${kind} ${endpoint(model)}`,
    sameModel: (model, reported) => sameModelId(model.model, reported),
    sameWeights: (a, b) => canonicalId(a.model) === canonicalId(b.model),
  }
}
