import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import type { ModelSpec } from '../../config/models.ts'
import { loadFixtureScript, SAMPLE_HEADER } from '../fixture-server.ts'
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
 * The replies a script serves, as content: the YAML and every notebook file it points to (an edited
 * oracle is a new reply, so a cached trial made from the old one is not reused).
 */
function scriptStamp(file: string): string {
  if (!existsSync(file)) return 'missing'
  let replies: unknown
  try {
    replies = loadFixtureScript(file)
  } catch (error) {
    // the server reports the broken script when it loads it; the key only has to differ
    replies = { unreadable: readFileSync(file, 'utf8'), error: (error as Error).message }
  }
  return createHash('sha256').update(JSON.stringify(replies)).digest('hex')
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
    // the script's seeded replies are drawn per sample, as a real model samples anew
    const headers = { [SAMPLE_HEADER]: String(context.sample ?? 0) }
    if (model.protocol === 'ollama')
      return completeOllamaWire(model, { host: new URL(url).origin, headers }, request, context.signal)
    return completeOpenAiWire(model, { baseUrl: url, apiKey: 'fixture', headers }, request, context.signal)
  },
  identity: (model) => ({
    provider: model.provider,
    model: model.model,
    generation: model.generation,
    protocol: model.protocol,
    script: scriptStamp(model.script),
  }),
  concurrencyKey: (model) => `fixture ${model.model}`,
  sameModel: (model, reported) => sameModelId(model.model, reported),
  sameWeights: (a, b) => a.model === b.model,
  unavailable: async () => undefined,
}
