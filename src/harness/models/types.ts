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

/** What a provider answered, before the harness checks it. */
export interface ProviderReply {
  content: string
  toolCalls: ToolCall[]
  reportedModel: string
  tokensIn: number | null
  tokensOut: number | null
  finishReason: string | null
}

/** A JSON schema the reply must follow (the judge's verdict). */
export interface ResponseFormat {
  name: string
  schema: Record<string, unknown>
}

export interface CallOptions {
  /** Tools the model may call this turn. */
  tools?: ToolSpec[]
  /** Ask for JSON following this schema, in the way the model's `structured_output` says. */
  responseFormat?: ResponseFormat
  /** Base URL override (the fixture server's URL for fixture models). */
  baseUrl?: string
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
}

export type Complete<M extends ModelSpec = ModelSpec> = (
  model: M,
  messages: ChatMessage[],
  options: CallOptions,
) => Promise<ProviderReply>

/** The provider answered, but not as the model we asked for (lesson 1 of the bash pipeline). */
export class ModelMismatchError extends Error {
  override name = 'ModelMismatchError'
}

/** The provider is unreachable, refused, or timed out: an infrastructure error, not a score. */
export class ProviderError extends Error {
  override name = 'ProviderError'
  constructor(
    message: string,
    readonly retryable = false,
    /** Seconds the provider asked us to wait (Retry-After), when it said. */
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** The API key for a model, from the environment variable models.yaml names (never the key itself). */
export function apiKeyFor(
  model: ModelSpec & { api_key_env?: string | undefined },
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (!model.api_key_env) return undefined
  const value = env[model.api_key_env]
  if (!value)
    throw new ProviderError(
      `model "${model.name}": the environment variable ${model.api_key_env} (api_key_env in models.yaml) is not set`,
    )
  return value
}
