/**
 * The oracle bench as a Vitest module: every goal's oracle must pass each objective check, and
 * each negative control must fail the checks it targets and pass the rest. Both go the way real
 * trials go — a fixture model answers over loopback HTTP, the notebook runs in the sandbox, the
 * registry's checks judge the probed results — so the bench also tests the pipeline.
 * Run by `npx skilldelta oracles` (config: oracles/config.ts); Vitest UI shows it like any suite.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, test, type TestContext } from 'vitest'
import { checkKind } from '../checks/registry.ts'
import { deriveLimits } from '../config/limits.ts'
import type { ModelSpec } from '../config/models.ts'
import type { RunSettings } from '../config/settings.ts'
import { ModelClient } from '../models/client.ts'
import { loadFixtureScript, startFixtureServer, type FixtureServer } from '../models/fixture-server.ts'
import { TrialCell } from '../trial/cell.ts'
import { fastSubset, loadCatalog, type CatalogEntry, type Control } from './catalog.ts'
import { controlScript, oracleScript } from './fixtures.ts'
import type { NotebookRow, OraclePlan } from './plan.ts'

import './plan.ts'

const plan: OraclePlan | undefined = inject('skilldelta:oracles')
if (!plan) throw new Error('the oracle bench runs through its own config: `npx skilldelta oracles`')
const settings: RunSettings = plan.settings
const catalog = loadCatalog(settings)
const objective = (kind: string) => checkKind(kind).objective
const selected = plan.mode === 'fast' ? fastSubset(catalog.entries, objective) : catalog.entries
const fixtures = path.join(settings.resultsDir, settings.runId, 'fixtures')

const fixtureModel = (name: string, script: string): ModelSpec => ({
  name,
  provider: 'fixture',
  protocol: 'openai',
  model: `skilldelta/${name}`,
  script,
  context_window: 32_768,
  concurrency: 4,
  timeout_seconds: 60,
  generation: {},
})

/** The scripts, written where the run's records are: what answered each trial stays inspectable. */
function scriptModels(): Map<string, ModelSpec> {
  mkdirSync(fixtures, { recursive: true })
  const models = new Map<string, ModelSpec>()
  const oracle = path.join(fixtures, 'oracle.yaml')
  writeFileSync(oracle, oracleScript(selected, oracle))
  models.set('oracle', fixtureModel('oracle', oracle))
  for (const entry of selected)
    for (const control of entry.controls) {
      const file = path.join(fixtures, `${control.name}.yaml`)
      writeFileSync(file, controlScript(entry.goal, control, file))
      models.set(control.name, fixtureModel(`control-${control.name}`, file))
    }
  return models
}

let server: FixtureServer | undefined
let client: ModelClient | undefined
const models = scriptModels()

beforeAll(async () => {
  const scripts = Object.fromEntries(
    [...models.values()].flatMap((m) => (m.provider === 'fixture' ? [[m.model, loadFixtureScript(m.script)]] : [])),
  )
  server = await startFixtureServer(scripts)
  client = new ModelClient({ fixtureUrl: server.url, cache: { mode: 'off', dir: settings.cache.dir } })
})
afterAll(() => server?.close())

/** Run one notebook as a trial and compare each objective check with what is expected of it. */
async function verify(context: TestContext, entry: CatalogEntry, control?: Control): Promise<void> {
  const { goal } = entry
  const model = models.get(control?.name ?? 'oracle')!
  const limits = deriveLimits({ goal, model, strategy: 'single-shot', execution: settings.execution })
  const cell = new TrialCell(goal, { name: 'zero_shot', skills: 'none' }, 0, limits, {
    model,
    settings,
    client: () => client!,
    judge: { unavailable: 'the oracle bench grades objective checks only' },
  })
  await cell.run()
  const targets = new Set(control?.targets ?? [])
  const crashed = targets.has('executes')
  const row: NotebookRow = {
    goal: goal.id,
    tier: goal.tier,
    notebook: control ? control.name : 'oracle',
    role: control ? 'control' : 'oracle',
    seconds: (cell.outcome?.execution?.wallMs ?? 0) / 1000,
    status: cell.outcome?.state.value.status ?? 'not run',
    checks: [],
  }
  for (const [index, instance] of goal.checks.entries()) {
    if (!objective(instance.kind)) continue
    const { verdict } = await cell.assess(index)
    const target = targets.has(instance.kind)
    // after a crash nothing downstream can pass; only the target is asserted
    const expected = target ? 'fail' : crashed ? 'any' : 'pass'
    row.checks.push({ id: instance.id, kind: instance.kind, name: instance.name, status: verdict.status, expected })
    if (expected === 'pass') context.expect.soft(verdict.status, `${instance.name}: ${verdict.message}`).toBe('pass')
  }
  await cell.close()
  context.task.meta.oracle = row
  // a target kind with several checks (one per signal) is missed when none of them fails
  for (const kind of targets) {
    const verdicts = row.checks.filter((c) => c.kind === kind)
    context.expect
      .soft(
        verdicts.some((c) => c.status === 'fail'),
        `${control?.name} should fail its ${kind} check: ${verdicts.map((c) => `${c.name}: ${c.status}`).join('; ')}`,
      )
      .toBe(true)
  }
  if (control && !crashed) context.expect.soft(row.status, 'a control must execute').not.toBe('execution_failed')
}

const timeout = (entry: CatalogEntry): number =>
  deriveLimits({
    goal: entry.goal,
    model: models.get('oracle')!,
    strategy: 'single-shot',
    execution: settings.execution,
  }).hookMs + 120_000

if (catalog.problems.length)
  test('the suite’s goals, oracles and controls fit together', () => expect(catalog.problems).toEqual([]))

describe.concurrent(plan.mode === 'fast' ? 'oracles (fast subset)' : 'oracles', () => {
  for (const entry of selected)
    describe(entry.goal.id, () => {
      if (entry.oracle) test('oracle passes every objective check', (c) => verify(c, entry), timeout(entry))
      for (const control of entry.controls)
        test(
          `control ${control.name.split('__')[1]} fails ${control.targets.join(', ')} and passes the rest`,
          (c) => verify(c, entry, control),
          timeout(entry),
        )
    })
})
