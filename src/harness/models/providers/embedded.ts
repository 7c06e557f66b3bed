import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { fileDigest } from '../../util/file-digest.ts'
import { structuredOutputOf, type ModelSpec } from '../../config/models.ts'
import { DEFAULT_GGUF, EMBEDDED_DIR } from '../../config/paths.ts'
import {
  ProviderError,
  sameModelId,
  type ChatMessage,
  type CompletionRequest,
  type Provider,
  type ProviderReply,
} from '../types.ts'

type EmbeddedSpec = Extract<ModelSpec, { provider: 'embedded' }>

/**
 * An in-process model (llama.cpp through node-llama-cpp) for the no-key, no-server path.
 * node-llama-cpp is NOT a dependency of the plain install (its default install is ~725 MB of
 * GPU builds): `npm run setup -- --embedded` puts the CPU build and the weights in .cache/embedded,
 * and this module imports it only when an embedded model is used.
 */

// The few node-llama-cpp shapes we use (the package is loaded at run time from .cache/embedded).
interface TokenMeter {
  usedInputTokens: number
  usedOutputTokens: number
}
interface LlamaSequence {
  tokenMeter: TokenMeter
}
interface LlamaContext {
  getSequence(): LlamaSequence
  dispose(): Promise<void>
}
interface LlamaGrammar {
  readonly grammar: string
}
interface Llama {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>
  createGrammarForJsonSchema(schema: Record<string, unknown>): Promise<LlamaGrammar>
}
interface LlamaModel {
  trainContextSize: number
  createContext(options: { contextSize: number; threads: number }): Promise<LlamaContext>
}
type HistoryItem =
  { type: 'system'; text: string } | { type: 'user'; text: string } | { type: 'model'; response: string[] }
interface LlamaChatSession {
  setChatHistory(history: HistoryItem[]): void
  prompt(
    text: string,
    options: {
      maxTokens?: number
      temperature?: number
      topP?: number
      seed?: number
      signal?: AbortSignal
      grammar?: LlamaGrammar
    },
  ): Promise<string>
}
interface NodeLlamaCpp {
  getLlama(options: { gpu: false; build: 'never'; logLevel: string }): Promise<Llama>
  LlamaChatSession: new (options: { contextSequence: LlamaSequence }) => LlamaChatSession
}

const MODULE = path.join(EMBEDDED_DIR, 'node_modules', 'node-llama-cpp', 'dist', 'index.js')
let runtime: Promise<NodeLlamaCpp> | undefined
const models = new Map<string, Promise<{ llama: Llama; model: LlamaModel }>>()

function loadRuntime(): Promise<NodeLlamaCpp> {
  if (!existsSync(MODULE)) {
    throw new ProviderError(
      `the embedded model runtime is not installed (${MODULE} is missing): run "npm run setup -- --embedded"`,
    )
  }
  runtime ??= import(pathToFileURL(MODULE).href) as Promise<NodeLlamaCpp>
  return runtime
}

/** Why the embedded model cannot run here, if it cannot. */
function embeddedUnavailable(model: EmbeddedSpec): string | undefined {
  if (!existsSync(MODULE)) return 'the embedded model runtime is not installed: run "npm run setup -- --embedded"'
  const gguf = ggufPath(model)
  if (!existsSync(gguf))
    return `GGUF weights not found at ${gguf}: run "npm run setup -- --embedded", or set gguf: in models.yaml`
  return undefined
}

function ggufPath(model: EmbeddedSpec): string {
  return model.gguf ?? DEFAULT_GGUF
}

/** The id an embedded model reports: the weights file it really loaded. */
const embeddedModelId = (gguf: string): string => path.basename(gguf).replace(/\.gguf$/i, '')

async function loadModel(gguf: string): Promise<{ llama: Llama; model: LlamaModel }> {
  let loaded = models.get(gguf)
  if (!loaded) {
    if (!existsSync(gguf))
      throw new ProviderError(
        `GGUF weights not found at ${gguf}: run "npm run setup -- --embedded", or set gguf: in models.yaml`,
      )
    loaded = loadRuntime().then(async ({ getLlama }) => {
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' })
      return { llama, model: await llama.loadModel({ modelPath: gguf }) }
    })
    models.set(gguf, loaded)
  }
  return loaded
}

function history(messages: ChatMessage[]): { items: HistoryItem[]; prompt: string } {
  const last = messages.at(-1)
  if (!last || last.role !== 'user') throw new ProviderError('the conversation must end with a user message')
  const items = messages.slice(0, -1).map((m): HistoryItem => {
    if (m.role === 'tool')
      throw new ProviderError('the embedded model does not take tool results (it runs single-shot generation)')
    return m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role, text: m.content }
  })
  return { items, prompt: last.content }
}

async function completeEmbedded(
  model: EmbeddedSpec,
  { messages, tools, responseFormat }: CompletionRequest,
  signal?: AbortSignal,
): Promise<ProviderReply> {
  if (tools?.length)
    throw new ProviderError(`embedded model ${model.name}: tool calling is not supported; use generation: single-shot`)
  const gguf = ggufPath(model)
  const { llama, model: weights } = await loadModel(gguf)
  const { LlamaChatSession } = await loadRuntime()
  // a JSON-schema grammar makes structured output exact: the sampler cannot leave the schema
  const grammar =
    responseFormat && structuredOutputOf(model) !== 'none'
      ? await llama.createGrammarForJsonSchema(responseFormat.schema)
      : undefined
  const context = await weights.createContext({
    contextSize: Math.min(model.context_window, weights.trainContextSize),
    threads: model.threads,
  })
  try {
    const sequence = context.getSequence()
    const session = new LlamaChatSession({ contextSequence: sequence })
    const { items, prompt } = history(messages)
    session.setChatHistory(items)
    const { temperature, top_p, max_tokens, seed } = model.generation
    const content = await session.prompt(prompt, {
      maxTokens: max_tokens ?? 1024,
      ...(temperature !== undefined ? { temperature } : {}),
      ...(top_p !== undefined ? { topP: top_p } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(signal ? { signal } : {}),
      ...(grammar ? { grammar } : {}),
    })
    return {
      content,
      toolCalls: [],
      reportedModel: embeddedModelId(gguf),
      tokensIn: sequence.tokenMeter.usedInputTokens,
      tokensOut: sequence.tokenMeter.usedOutputTokens,
      finishReason: null,
    }
  } catch (error) {
    if (error instanceof ProviderError) throw error
    throw new ProviderError(`embedded model ${embeddedModelId(gguf)}: ${(error as Error).message}`, false, undefined, {
      cause: error,
    })
  } finally {
    await context.dispose()
  }
}

export const embeddedProvider: Provider<EmbeddedSpec> = {
  kind: 'embedded',
  // a small in-process model cannot drive tool calls reliably: one reply with a percent script
  defaultStrategy: 'single-shot',
  complete: (model, request, context) => completeEmbedded(model, request, context.signal),
  identity: (model) => ({
    provider: model.provider,
    model: model.model,
    generation: model.generation,
    gguf: model.gguf ?? 'default',
    // by content: new weights under the same name are a new model, the same weights reinstalled are not
    weights: fileDigest(ggufPath(model)) ?? 'missing',
  }),
  concurrencyKey: () => 'embedded (this machine)',
  // the id is the weights file really loaded: models.yaml's `model:` must name that file
  sameModel: (model, reported) => sameModelId(model.model, reported),
  sameWeights: (a, b) => ggufPath(a) === ggufPath(b),
  unavailable: async (model) => embeddedUnavailable(model),
}
