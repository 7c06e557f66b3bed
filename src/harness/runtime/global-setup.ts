import type { TestProject } from 'vitest/node'
import { bubblewrapAvailable, effectiveMode } from '../notebook/sandbox.ts'
import type { ModelSpec } from '../config/models.ts'
import { isSameModel, loadRubric, type JudgeSetup } from '../judge/index.ts'
import { startBroker, type Broker } from '../models/broker.ts'
import { embeddedUnavailable } from '../models/embedded-provider.ts'
import { loadFixtureScript, startFixtureServer } from '../models/fixture-server.ts'
import { probeOllama } from '../models/ollama-provider.ts'
import { probeOpenAI } from '../models/openai-provider.ts'

let warned = false

// One broker for the whole run: globalSetup runs once per project, but limits hold across projects.
const shared = globalThis as { __skilldeltaBroker?: { broker: Promise<Broker>; users: number } }

async function acquireBroker(): Promise<{ url: string; release: () => Promise<void> }> {
  shared.__skilldeltaBroker ??= { broker: startBroker(), users: 0 }
  const entry = shared.__skilldeltaBroker
  entry.users += 1
  const broker = await entry.broker
  return {
    url: broker.url,
    release: async () => {
      entry.users -= 1
      if (entry.users === 0) {
        delete shared.__skilldeltaBroker
        await broker.close()
      }
    },
  }
}

/** Once per model project, in the main process: start the fixture server if the model is a fixture. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const settings = project.config.provide['skilldelta:settings']
  const mode = settings ? effectiveMode(settings.execution.sandbox) : 'none'
  if (mode !== 'none' && !warned) {
    warned = true
    const probe = await bubblewrapAvailable()
    if (!probe.ok) {
      if (mode === 'bwrap')
        throw new Error(
          `the notebook sandbox is required${settings?.execution.sandbox === 'auto' ? ' in CI' : ''} but ${probe.reason}`,
        )
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
  const judge = project.config.provide['skilldelta:judge']
  if (judge && settings) await prepareJudge(project, judge, model, settings.judge)
  const broker = await acquireBroker()
  project.provide('skilldelta:brokerUrl', broker.url)
  // fixture models (under test, or judging) are answered by one loopback server per project
  const scripted = [
    model,
    ...(judge && !project.config.provide['skilldelta:judgeUnavailable'] ? [judge.model] : []),
  ].filter((m) => m.provider === 'fixture')
  if (scripted.length === 0) return broker.release
  const server = await startFixtureServer(
    Object.fromEntries(scripted.map((m) => [m.model, loadFixtureScript(m.script)])),
  )
  project.provide('skilldelta:fixtureUrl', server.url)
  return async () => {
    await server.close()
    await broker.release()
  }
}

const judgeWarnings = new Set<string>()

/** Refuse self-judging, check the rubric once, and find out whether the judge can answer at all. */
async function prepareJudge(
  project: TestProject,
  judge: JudgeSetup,
  model: ModelSpec,
  files: { rubric: string; facts: string },
): Promise<void> {
  if (isSameModel(judge.model, model) && !judge.allowSameAsGenerator) {
    const error = new Error(
      `${model.name}: the judge (${judge.model.name}) is the model under test, and a model grading its own notebooks is biased. ` +
        `Pick another judge (judge.model in models.yaml, or SKILLDELTA_JUDGE=<name>), or set judge.allow_same_as_generator: true.`,
    )
    error.stack = `Error: ${error.message}`
    throw error
  }
  loadRubric(files.rubric, files.facts) // a broken rubric stops the run here, not in every check
  let problem: string | undefined
  try {
    problem = await unreachable(judge.model)
  } catch (error) {
    problem = (error as Error).message // e.g. the judge's API key variable is not set
  }
  if (!problem) return
  const reason = `judge ${judge.model.name} is unavailable: ${problem}`
  project.provide('skilldelta:judgeUnavailable', reason)
  if (!judgeWarnings.has(reason)) {
    judgeWarnings.add(reason)
    console.warn(`[skilldelta] ${reason} — judge checks are skipped in this run`)
  }
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
