import type { TestProject } from 'vitest/node'
import type { ModelSpec } from '../config/models.ts'
import { skillsDirOf, type Condition, type RunSettings } from '../config/settings.ts'
import { loadRubric } from '../judge/rubric.ts'
import { startBroker, type Broker } from '../models/broker.ts'
import { loadFixtureScript, startFixtureServer, type FixtureServer } from '../models/fixture-server.ts'
import { isSameModel, providerOf } from '../models/providers/index.ts'
import { requireSandbox, UNISOLATED_WARNING } from '../notebook/sandbox.ts'
import { formatSkillProblem, loadSkills } from '../skills/load.ts'
import type { JudgePlan } from './provided.ts'

import './provided.ts'

/**
 * Once per model project, in the main process: stop a run that cannot work before any trial
 * starts (model unreachable, self-judging, no sandbox where one is required), and give the
 * project the run's shared services. The broker and the fixture server are one per run, shared by
 * every project (globalSetup runs per project; limits must hold across all of them).
 */

interface Shared {
  users: number
  broker: Promise<Broker>
  fixture?: Promise<FixtureServer>
  /** Scripted replies by model id: every project adds its fixture models. */
  scripts: Record<string, ReturnType<typeof loadFixtureScript>>
  /** Which script file each fixture model id was loaded from (two files under one id is a config error). */
  scriptFiles: Record<string, string>
  warned: Set<string>
}
const SHARED = Symbol.for('skilldelta.services')

function shared(): Shared {
  const holder = globalThis as { [SHARED]?: Shared }
  holder[SHARED] ??= { users: 0, broker: startBroker(), scripts: {}, scriptFiles: {}, warned: new Set() }
  return holder[SHARED]
}

/** One clear line: a stack would only show Vitest internals. */
function stop(message: string): never {
  const error = new Error(message)
  error.stack = `Error: ${message}`
  throw error
}

function warnOnce(key: string, message: string): void {
  const { warned } = shared()
  if (warned.has(key)) return
  warned.add(key)
  console.warn(message)
}

/** Isolation is never silently off: a missing sandbox stops the run; running without one warns every run. */
async function checkSandbox(settings: RunSettings): Promise<void> {
  if (settings.execution.sandbox === 'none') {
    const bar = '!'.repeat(78)
    warnOnce('sandbox', `\n${bar}\n!! skilldelta: ${UNISOLATED_WARNING}.\n${bar}\n`)
    return
  }
  try {
    await requireSandbox(settings.execution.sandbox)
  } catch (error) {
    stop((error as Error).message)
  }
}

/**
 * Every SKILL.md, validated before any model call: with problems the run stops listing all of them
 * (or, with `skills.onError: skip`, says once which skills it runs without). Only runs whose
 * conditions offer skills read them; a condition with its own library (`skillsDir`) has it checked too.
 */
function checkSkills(settings: RunSettings): void {
  const users = settings.conditions.filter((c) => c.skills !== 'none')
  const libraries = new Map<string, Condition[]>()
  for (const condition of users) {
    const dir = skillsDirOf(settings, condition)
    libraries.set(dir, [...(libraries.get(dir) ?? []), condition])
  }
  for (const [dir, conditions] of libraries) checkLibrary(settings, dir, conditions)
}

function checkLibrary(settings: RunSettings, dir: string, users: Condition[]): void {
  const set = loadSkills(dir, { maxBytes: settings.skills.maxBytes })
  const errors = set.problems.filter((p) => p.severity === 'error').map(formatSkillProblem)
  const warnings = set.problems.filter((p) => p.severity === 'warning').map(formatSkillProblem)
  const names = new Set(set.skills.map((s) => s.name))
  const broken = new Set(set.invalid.map((s) => s.name))
  for (const condition of users) {
    if (!Array.isArray(condition.skills)) continue
    for (const name of condition.skills.filter((n) => !names.has(n) && !broken.has(n)))
      errors.push(`condition "${condition.name}": no skill named "${name}" under ${dir}`)
  }
  for (const name of settings.skills.always.filter((n) => !names.has(n) && !broken.has(n)))
    errors.push(`skills.always: no skill named "${name}" under ${dir}`)
  if (set.skills.length === 0 && set.invalid.length === 0) {
    const named = users.map((c) => `"${c.name}"`).join(', ')
    stop(
      `condition(s) ${named} offer skills, but there is no SKILL.md under ${dir}: ` +
        'add skills (a folder per skill with a SKILL.md), or leave those conditions out of `conditions`',
    )
  }
  if (warnings.length)
    warnOnce(`skill-warnings ${dir}`, `[skilldelta] ${warnings.length} skill warning(s):\n${warnings.join('\n')}`)
  if (errors.length === 0) return
  const list = `${errors.length} problem(s) in the skills:\n${errors.join('\n')}`
  const usable = set.skills.length > 0 && errors.length === set.problems.filter((p) => p.severity === 'error').length
  if (settings.skills.onError === 'skip' && usable) {
    const skipped = set.invalid.map((s) => s.name).join(', ')
    warnOnce(
      `skill-errors ${dir}`,
      `[skilldelta] ${list}\n[skilldelta] skills.onError is "skip": running without ${skipped}`,
    )
    return
  }
  // the list goes to stderr as it is: an error message's "file:line:col" lines would be read as a stack
  console.error(`[skilldelta] ${list}`)
  stop(
    `${errors.length} problem(s) in the skills (listed above): the run stopped before any model call. Fix them` +
      (settings.skills.onError === 'skip'
        ? '.'
        : `, or set skills: { onError: 'skip' } to run without the bad skills.`),
  )
}

/** Refuse self-judging, check the rubric once, and find out whether the judge can answer at all. */
async function planJudge(plan: JudgePlan, model: ModelSpec, settings: RunSettings): Promise<JudgePlan> {
  const { setup } = plan
  if (plan.unavailable)
    warnOnce(plan.unavailable, `[skilldelta] ${plan.unavailable} — judge checks are skipped in this run`)
  if (!setup || plan.unavailable) return plan
  if (isSameModel(setup.model, model) && !setup.allowSameAsGenerator) {
    stop(
      `${model.name}: the judge (${setup.model.name}) is the model under test, ` +
        'and a model grading its own notebooks is biased. ' +
        'Pick another judge (judge.model in models.yaml, or SKILLDELTA_JUDGE=<name>), ' +
        'or set judge.allow_same_as_generator: true.',
    )
  }
  loadRubric(settings.judge.rubric, settings.judge.facts) // a broken rubric stops the run here, not in every check
  const problem = await providerOf(setup.model).unavailable(setup.model, { env: process.env })
  if (!problem) return plan
  const reason = `judge ${setup.model.name} is unavailable: ${problem}`
  warnOnce(reason, `[skilldelta] ${reason} — judge checks are skipped in this run`)
  return { ...plan, unavailable: reason }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const provided = project.getProvidedContext()
  const settings = provided['skilldelta:run']
  const model = provided['skilldelta:model']
  if (!settings || !model) return undefined
  await checkSandbox(settings)
  const problem = await providerOf(model).unavailable(model, { env: process.env })
  if (problem) stop(`${model.name}: ${problem}`)
  // (reachability only asks the server what it serves: no model has been called yet)
  checkSkills(settings)
  const judge = await planJudge(provided['skilldelta:judge'] ?? {}, model, settings)
  project.provide('skilldelta:judge', judge)

  const services = shared()
  services.users += 1
  const scripted = [model, ...(judge.setup && !judge.unavailable ? [judge.setup.model] : [])]
  for (const m of scripted) {
    if (m.provider !== 'fixture') continue
    const known = services.scriptFiles[m.model]
    if (known && known !== m.script)
      stop(
        `${m.name}: fixture model id "${m.model}" is already scripted by ${known}; give each script its own model id`,
      )
    services.scriptFiles[m.model] = m.script
    services.scripts[m.model] ??= loadFixtureScript(m.script)
    services.fixture ??= startFixtureServer(services.scripts, {
      files: services.scriptFiles,
      ...(settings.fixtureLog ? { log: settings.fixtureLog } : {}),
    })
  }
  const [broker, fixture] = await Promise.all([services.broker, services.fixture])
  project.provide('skilldelta:services', { brokerUrl: broker.url, ...(fixture ? { fixtureUrl: fixture.url } : {}) })
  return async () => {
    services.users -= 1
    if (services.users > 0) return
    delete (globalThis as { [SHARED]?: Shared })[SHARED]
    await Promise.all([broker.close(), fixture?.close()])
  }
}
