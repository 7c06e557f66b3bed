import type { TestProject } from 'vitest/node'
import { bubblewrapAvailable } from '../notebook/sandbox.ts'
import { loadFixtureScript, startFixtureServer } from '../models/fixture-server.ts'

let warned = false

/** Once per model project, in the main process: start the fixture server if the model is a fixture. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const settings = project.config.provide['skilldelta:settings']
  if (settings && settings.execution.sandbox !== 'none' && !warned) {
    warned = true
    const probe = await bubblewrapAvailable()
    if (!probe.ok) {
      if (settings.execution.sandbox === 'bwrap') throw new Error(`execution.sandbox is "bwrap" but ${probe.reason}`)
      console.warn(
        `\n${'!'.repeat(78)}\n!! skilldelta: NOTEBOOK ISOLATION IS OFF — ${probe.reason}\n` +
          `!! Model-written code will run with network access and can read your files.\n${'!'.repeat(78)}\n`,
      )
    }
  }
  const model = project.config.provide['skilldelta:model']
  if (model?.provider !== 'fixture') return undefined
  const server = await startFixtureServer({ [model.model]: loadFixtureScript(model.script) })
  project.provide('skilldelta:fixtureUrl', server.url)
  return () => server.close()
}
