import OpenAI from 'openai'
import { structuredOutputOf, type ModelSpec } from '../config/models.ts'
import { definedOnly } from '../util/defined.ts'
import {
  apiKeyFor,
  ProviderError,
  type ChatMessage,
  type Complete,
  type ResponseFormat,
  type ToolCall,
} from './types.ts'

type OpenAiLike = Extract<ModelSpec, { provider: 'openai' | 'fixture' }>

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504])

function clientFor(model: OpenAiLike, baseUrl: string | undefined, env: NodeJS.ProcessEnv): OpenAI {
  if (model.provider === 'fixture') {
    if (!baseUrl)
      throw new ProviderError(
        `model "${model.name}" is a fixture model but no fixture server is running (globalSetup did not start it)`,
      )
    return new OpenAI({ baseURL: baseUrl, apiKey: 'fixture', timeout: model.timeout_seconds * 1000, maxRetries: 0 })
  }
  // retries are the harness's (bounded, shared with every provider), not the client's
  return new OpenAI({
    baseURL: baseUrl ?? model.base_url,
    apiKey: apiKeyFor(model, env) ?? 'not-needed',
    timeout: model.timeout_seconds * 1000,
    maxRetries: 0,
  })
}

type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam

export function toOpenAiMessages(messages: ChatMessage[]): WireMessage[] {
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

function responseFormat(
  model: OpenAiLike,
  format: ResponseFormat | undefined,
): Pick<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, 'response_format'> {
  const mode = structuredOutputOf(model)
  if (!format || mode === 'none') return {}
  if (mode === 'json_object') return { response_format: { type: 'json_object' } }
  return {
    response_format: { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: true } },
  }
}

/** OpenAI-compatible chat completions: OpenAI, vLLM, llama.cpp server, OpenRouter, Ollama's /v1, the fixture server. */
export const completeOpenAI: Complete<OpenAiLike> = async (model, messages, options) => {
  const client = clientFor(model, options.baseUrl, options.env ?? process.env)
  const generation = definedOnly(model.generation)
  let response: OpenAI.Chat.Completions.ChatCompletion
  try {
    response = await client.chat.completions.create(
      {
        model: model.model,
        messages: toOpenAiMessages(messages),
        ...generation,
        ...(options.tools?.length
          ? { tools: options.tools.map((t) => ({ type: 'function' as const, function: t })) }
          : {}),
        ...responseFormat(model, options.responseFormat),
      },
      options.signal ? { signal: options.signal } : {},
    )
  } catch (error) {
    if (error instanceof OpenAI.APIError) {
      const retryAfter = Number.parseFloat(error.headers?.get?.('retry-after') ?? '')
      const status = error.status
      throw new ProviderError(
        `model "${model.name}" (${model.model}): ${status ?? 'no status'} ${error.message}`,
        status === undefined || RETRYABLE.has(status),
        Number.isFinite(retryAfter) ? retryAfter : undefined,
        { cause: error },
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
export async function probeOpenAI(
  model: OpenAiLike,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (model.provider !== 'openai') return undefined
  const apiKey = apiKeyFor(model, env) ?? 'not-needed' // a missing key is its own, clearer error
  try {
    const client = new OpenAI({ baseURL: model.base_url, apiKey, timeout: 5_000, maxRetries: 0 })
    await client.models.list()
    return undefined
  } catch (error) {
    if (error instanceof OpenAI.APIError && error.status !== undefined) return undefined // it answered: reachable
    return `${model.base_url} is not reachable (${(error as Error).message}); start the server or pick another --project`
  }
}
