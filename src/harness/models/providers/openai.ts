import OpenAI from 'openai'
import { structuredOutputOf, type ModelSpec } from '../../config/models.ts'
import { definedOnly } from '../../util/defined.ts'
import {
  apiKeyFor,
  endpointTraits,
  ProviderError,
  type ChatMessage,
  type CompletionRequest,
  type Provider,
  type ProviderReply,
  type ResponseFormat,
  type ToolCall,
} from '../types.ts'

type OpenAiSpec = Extract<ModelSpec, { provider: 'openai' }>

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504])

type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam

function toOpenAiMessages(messages: ChatMessage[]): WireMessage[] {
  return messages.map((m): WireMessage => {
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId, content: m.content }
    if (m.role === 'assistant' && m.toolCalls?.length) {
      return {
        role: 'assistant',
        content: m.content || null,
        tool_calls: m.toolCalls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
        })),
      }
    }
    return { role: m.role, content: m.content }
  })
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text || '{}')
  } catch {
    return { __unparsable: text }
  }
}

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming

function responseFormat(model: ModelSpec, format: ResponseFormat | undefined): Pick<Params, 'response_format'> {
  const mode = structuredOutputOf(model)
  if (!format || mode === 'none') return {}
  if (mode === 'json_object') return { response_format: { type: 'json_object' } }
  return {
    response_format: { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: true } },
  }
}

/** Where and how to reach an OpenAI-compatible endpoint. */
interface OpenAiEndpoint {
  baseUrl: string
  apiKey: string
  /** Extra request headers (the fixture server's sample index). */
  headers?: Record<string, string>
}

/**
 * One chat completion over the OpenAI wire: OpenAI, vLLM, llama.cpp server, OpenRouter, Ollama's
 * /v1, the fixture server. Retries are the model client's (bounded, shared by every provider).
 */
export async function completeOpenAiWire(
  model: ModelSpec,
  endpoint: OpenAiEndpoint,
  request: CompletionRequest,
  signal?: AbortSignal,
): Promise<ProviderReply> {
  const client = new OpenAI({
    baseURL: endpoint.baseUrl,
    apiKey: endpoint.apiKey,
    timeout: model.timeout_seconds * 1000,
    maxRetries: 0,
    ...(endpoint.headers ? { defaultHeaders: endpoint.headers } : {}),
  })
  let response: OpenAI.Chat.Completions.ChatCompletion
  try {
    response = await client.chat.completions.create(
      {
        model: model.model,
        messages: toOpenAiMessages(request.messages),
        ...definedOnly(model.generation),
        ...(request.tools?.length
          ? { tools: request.tools.map((t) => ({ type: 'function' as const, function: t })) }
          : {}),
        ...responseFormat(model, request.responseFormat),
      },
      signal ? { signal } : {},
    )
  } catch (error) {
    if (error instanceof OpenAI.APIError) {
      const retryAfter = Number.parseFloat(error.headers?.get?.('retry-after') ?? '')
      const status = error.status
      throw new ProviderError(
        `model "${model.name}" (${model.model}): ${status ?? 'no status'} ${error.message}`,
        status === undefined || RETRYABLE.has(status),
        Number.isFinite(retryAfter) ? retryAfter : undefined,
        { cause: error, status },
      )
    }
    throw new ProviderError(`model "${model.name}" (${model.model}): ${(error as Error).message}`, true, undefined, {
      cause: error,
    })
  }
  const choice = response.choices?.[0]
  if (!choice) throw new ProviderError(`model "${model.name}" (${model.model}): the response has no choices`, true)
  const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).flatMap((call) =>
    call.type === 'function'
      ? [{ id: call.id, name: call.function.name, arguments: parseArguments(call.function.arguments) }]
      : [],
  )
  return {
    content: choice.message.content ?? '',
    toolCalls,
    reportedModel: response.model,
    tokensIn: response.usage?.prompt_tokens ?? null,
    tokensOut: response.usage?.completion_tokens ?? null,
    finishReason: choice.finish_reason ?? null,
  }
}

/** A cheap reachability probe, so a run against a stopped server fails in seconds, not at every trial. */
async function probe(model: OpenAiSpec, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let apiKey: string
  try {
    apiKey = apiKeyFor(model, env) ?? 'not-needed'
  } catch (error) {
    return (error as Error).message // the key's own, clearer error
  }
  try {
    const client = new OpenAI({ baseURL: model.base_url, apiKey, timeout: 5_000, maxRetries: 0 })
    await client.models.list()
    return undefined
  } catch (error) {
    if (error instanceof OpenAI.APIError && error.status !== undefined) return undefined // it answered: reachable
    const why = (error as Error).message
    return `${model.base_url} is not reachable (${why}); start the server or pick another --project`
  }
}

export const openaiProvider: Provider<OpenAiSpec> = {
  kind: 'openai',
  defaultStrategy: 'driver-navigator',
  complete: (model, request, context) =>
    completeOpenAiWire(
      model,
      { baseUrl: model.base_url, apiKey: apiKeyFor(model, context.env) ?? 'not-needed' },
      request,
      context.signal,
    ),
  ...endpointTraits<OpenAiSpec>('openai', (model) => model.base_url),
  unavailable: (model, context) => probe(model, context.env),
}
