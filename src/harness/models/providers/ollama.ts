import { Ollama, type Message } from 'ollama'
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
} from '../types.ts'

type OllamaSpec = Extract<ModelSpec, { provider: 'ollama' }>

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

/**
 * One chat over Ollama's native /api/chat: local models and hosted ones (e.g. "ministral-3:14b-cloud"),
 * and the fixture server's Ollama route.
 */
export async function completeOllamaWire(
  model: ModelSpec,
  endpoint: { host: string; apiKey?: string | undefined; headers?: Record<string, string> },
  request: CompletionRequest,
  signal?: AbortSignal,
): Promise<ProviderReply> {
  const client = new Ollama({
    host: endpoint.host,
    headers: {
      ...endpoint.headers,
      ...(endpoint.apiKey ? { Authorization: `Bearer ${endpoint.apiKey}` } : {}),
    },
    // per-call cancellation and the per-call timeout from models.yaml
    fetch: (input, init) => {
      const timeout = AbortSignal.timeout(model.timeout_seconds * 1000)
      return fetch(input, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
    },
  })
  const { temperature, top_p, max_tokens, seed } = model.generation
  const structured = structuredOutputOf(model)
  try {
    const response = await client.chat({
      model: model.model,
      messages: toOllamaMessages(request.messages),
      stream: false,
      options: definedOnly({ temperature, top_p, num_predict: max_tokens, seed, num_ctx: model.context_window }),
      ...(request.tools?.length ? { tools: request.tools.map((t) => ({ type: 'function', function: t })) } : {}),
      ...(request.responseFormat && structured !== 'none'
        ? { format: structured === 'json_schema' ? request.responseFormat.schema : 'json' }
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
    const text = `model "${model.name}" (${model.model}) on ${endpoint.host}: ${status ?? ''} ${message}`
    throw new ProviderError(text.replace(/\s+/g, ' '), retryable, undefined, { cause: error, status })
  }
}

/** Fail fast when no Ollama server answers (instead of one timeout per trial). */
async function probe(model: OllamaSpec): Promise<string | undefined> {
  try {
    const response = await fetch(new URL('/api/version', model.host), { signal: AbortSignal.timeout(5_000) })
    return response.ok ? undefined : `Ollama at ${model.host} answered ${response.status}`
  } catch (error) {
    const why = (error as Error).cause ?? (error as Error).message
    return `Ollama is not reachable at ${model.host} (${why}); start it with "ollama serve" or pick another --project`
  }
}

export const ollamaProvider: Provider<OllamaSpec> = {
  kind: 'ollama',
  defaultStrategy: 'driver-navigator',
  complete: (model, request, context) =>
    completeOllamaWire(model, { host: model.host, apiKey: apiKeyFor(model, context.env) }, request, context.signal),
  ...endpointTraits<OllamaSpec>('ollama', (model) => model.host),
  unavailable: (model) => probe(model),
}
