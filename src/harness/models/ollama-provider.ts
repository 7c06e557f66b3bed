import { Ollama } from 'ollama'
import { structuredOutputOf, type ModelSpec } from '../config/models.ts'
import type { Message } from 'ollama'
import { definedOnly } from '../util/defined.ts'
import { apiKeyFor, ProviderError, type ChatMessage, type Complete } from './types.ts'

type OllamaSpec = Extract<ModelSpec, { provider: 'ollama' }>

function clientFor(
  model: OllamaSpec,
  options: { signal?: AbortSignal | undefined; env?: NodeJS.ProcessEnv | undefined },
): Ollama {
  const key = apiKeyFor(model, options.env ?? process.env)
  const signal = options.signal
  return new Ollama({
    host: model.host,
    ...(key ? { headers: { Authorization: `Bearer ${key}` } } : {}),
    // per-call cancellation and the per-call timeout from models.yaml
    fetch: (input, init) => {
      const timeout = AbortSignal.timeout(model.timeout_seconds * 1000)
      return fetch(input, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
    },
  })
}

function toOllamaMessages(messages: ChatMessage[]): Message[] {
  return messages.map((m): Message => {
    if (m.role === 'tool') return { role: 'tool', content: m.content, tool_name: m.name } as Message
    if (m.role === 'assistant' && m.toolCalls?.length) {
      return {
        role: 'assistant',
        content: m.content,
        tool_calls: m.toolCalls.map((c) => ({
          function: { name: c.name, arguments: (c.arguments ?? {}) as Record<string, unknown> },
        })),
      }
    }
    return { role: m.role, content: m.content }
  })
}

/** Ollama's native /api/chat: local models and hosted ones (e.g. "ministral-3:14b-cloud"). */
export const completeOllama: Complete<OllamaSpec> = async (model, messages, options) => {
  const { temperature, top_p, max_tokens, seed } = model.generation
  const ollamaOptions = definedOnly({
    temperature,
    top_p,
    num_predict: max_tokens,
    seed,
    num_ctx: model.context_window,
  })
  try {
    const response = await clientFor(model, options).chat({
      model: model.model,
      messages: toOllamaMessages(messages),
      stream: false,
      options: ollamaOptions,
      ...(options.tools?.length ? { tools: options.tools.map((t) => ({ type: 'function', function: t })) } : {}),
      ...(options.responseFormat && structuredOutputOf(model) !== 'none'
        ? { format: structuredOutputOf(model) === 'json_schema' ? options.responseFormat.schema : 'json' }
        : {}),
    })
    return {
      content: response.message.content,
      toolCalls: (response.message.tool_calls ?? []).map((call, index) => ({
        id: `call_${index}`,
        name: call.function.name,
        arguments: call.function.arguments,
      })),
      reportedModel: response.model,
      tokensIn: response.prompt_eval_count ?? null,
      tokensOut: response.eval_count ?? null,
      finishReason: response.done_reason ?? null,
    }
  } catch (error) {
    const status = (error as { status_code?: number }).status_code
    const message = (error as Error).message
    const retryable = status === undefined ? !/not found|pull/i.test(message) : status === 429 || status >= 500
    throw new ProviderError(
      `model "${model.name}" (${model.model}) on ${model.host}: ${status ?? ''} ${message}`.replace(/\s+/g, ' '),
      retryable,
      undefined,
      { cause: error },
    )
  }
}

/** Fail fast when no Ollama server answers (instead of one timeout per trial). */
export async function probeOllama(model: OllamaSpec): Promise<string | undefined> {
  try {
    const response = await fetch(new URL('/api/version', model.host), { signal: AbortSignal.timeout(5_000) })
    return response.ok ? undefined : `Ollama at ${model.host} answered ${response.status}`
  } catch (error) {
    return `Ollama is not reachable at ${model.host} (${(error as Error).cause ?? (error as Error).message}); start it with "ollama serve" or pick another --project`
  }
}
