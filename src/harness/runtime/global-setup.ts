import type { TestProject } from 'vitest/node'
import { bubblewrapAvailable, effectiveMode } from '../notebook/sandbox.ts'
import type { ModelSpec } from '../config/models.ts'
import { embeddedUnavailable } from '../models/embedded-provider.ts'
import { loadFixtureScript, startFixtureServer } from '../models/fixture-server.ts'
import { probeOllama } from '../models/ollama-provider.ts'
import { probeOpenAI } from '../models/openai-provider.ts'

let warned = false

/** Once per model project, in the main process: start the fixture server if the model is a fixture. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const settings = project.config.provide['skilldelta:settings']
  const mode = settings ? effectiveMode(settings.execution.sandbox) : 'none'
  if (mode !== 'none' && !warned) {
    warned = true
    const probe = await bubblewrapAvailable()
    if (!probe.ok) {
      if (mode === 'bwrap') throw new Error(`the notebook sandbox is required${settings?.execution.sandbox === 'auto' ? ' in CI' : ''} but ${probe.reason}`)
      console.warn(
        `\n${'!'.repeat(78)}\n!! skilldelta: NOTEBOOK ISOLATION IS OFF — ${probe.reason}\n` +
          `!! Model-written code will run with network access and can read your files.\n${'!'.repeat(78)}\n`,
      )
    }
  }
  const model = project.config.provide['skilldelta:model']
  if (!model) return undefined
  const problem = await unreachable(model)
  if (problem) {
    const error = new Error(`${model.name}: ${problem}`)
    error.stack = `Error: ${error.message}` // one clear line; the stack would only show Vitest internals
    throw error
  }
  if (model.provider !== 'fixture') return undefined
  const server = await startFixtureServer({ [model.model]: loadFixtureScript(model.script) })
  project.provide('skilldelta:fixtureUrl', server.url)
  return () => server.close()
}

/** Why this model cannot answer at all (server down, weights missing), so the run stops at once. */
function unreachable(model: ModelSpec): Promise<string | undefined> {
  switch (model.provider) {
    case 'ollama':
      return probeOllama(model)
    case 'openai':
      return probeOpenAI(model)
    case 'embedded':
      return Promise.resolve(embeddedUnavailable(model))
    case 'fixture':
      return Promise.resolve(undefined)
  }
}
