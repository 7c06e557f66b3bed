import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import type { ModelSpec } from '../../config/models.ts'
import { ProviderError, sameModelId, type Provider, type ProviderContext } from '../types.ts'
import { completeOllamaWire } from './ollama.ts'
import { completeOpenAiWire } from './openai.ts'

type FixtureSpec = Extract<ModelSpec, { provider: 'fixture' }>

function serverUrl(model: FixtureSpec, context: ProviderContext): string {
  if (!context.fixtureUrl) {
    throw new ProviderError(`model "${model.name}" is a fixture model but no fixture server is running`)
  }
  return context.fixtureUrl
}

/**
 * Scripted replies from the run's loopback fixture server, through the real `openai` or `ollama`
 * client (`protocol:`), so tests and CI exercise the whole wire path without a model.
 */
export const fixtureProvider: Provider<FixtureSpec> = {
  kind: 'fixture',
  defaultStrategy: 'single-shot',
  complete(model, request, context) {
    const url = serverUrl(model, context)
    if (model.protocol === 'ollama')
      return completeOllamaWire(model, { host: new URL(url).origin }, request, context.signal)
    return completeOpenAiWire(model, { baseUrl: url, apiKey: 'fixture' }, request, context.signal)
  },
  identity: (model) => ({
    provider: model.provider,
    model: model.model,
    generation: model.generation,
    protocol: model.protocol,
    script: existsSync(model.script)
      ? createHash('sha256').update(readFileSync(model.script, 'utf8')).digest('hex')
      : 'missing',
  }),
  concurrencyKey: (model) => `fixture ${model.model}`,
  sameModel: (model, reported) => sameModelId(model.model, reported),
  sameWeights: (a, b) => a.model === b.model,
  unavailable: async () => undefined,
}
