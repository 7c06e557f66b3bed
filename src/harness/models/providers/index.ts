import type { Strategy } from '../../config/limits.ts'
import type { ModelSpec } from '../../config/models.ts'
import type { Provider } from '../types.ts'
import { embeddedProvider } from './embedded.ts'
import { fixtureProvider } from './fixture.ts'
import { ollamaProvider } from './ollama.ts'
import { openaiProvider } from './openai.ts'

const PROVIDERS: { [K in ModelSpec['provider']]: Provider<Extract<ModelSpec, { provider: K }>> } = {
  openai: openaiProvider,
  ollama: ollamaProvider,
  embedded: embeddedProvider,
  fixture: fixtureProvider,
}

/** The backend module that knows everything about this model's provider. */
export function providerOf<M extends ModelSpec>(model: M): Provider<M> {
  return PROVIDERS[model.provider] as unknown as Provider<M>
}

/** How a trial gets its notebook from this model: models.yaml's `strategy`, else its backend's default. */
export const strategyOf = (model: ModelSpec): Strategy => model.strategy ?? providerOf(model).defaultStrategy

/**
 * A judge that is the model under test: the same entry, or the same weights behind the same kind
 * of endpoint. The same weights served by two different providers cannot be told apart here.
 */
export function isSameModel(judge: ModelSpec, generator: ModelSpec): boolean {
  if (judge.name === generator.name) return true
  if (judge.provider !== generator.provider) return false
  return providerOf(judge).sameWeights(judge, generator as typeof judge)
}
