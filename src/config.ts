import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import type { Plugin } from 'vite'
import { defineConfig, mergeConfig, type TestProjectInlineConfiguration, type ViteUserConfig } from 'vitest/config'
import type { Vitest } from 'vitest/node'
import { AblationReporter } from '../reporters/ablation.ts'
import { OracleTableReporter } from '../reporters/oracles.ts'
import { ProgressReporter } from '../reporters/progress.ts'
import { readEnv } from './harness/config/env.ts'
import { loadModelsFile, type ModelSpec } from './harness/config/models.ts'
import { PACKAGE_ROOT, RUNTIME_MODULE } from './harness/config/paths.ts'
import { rememberProject } from './harness/config/project.ts'
import { runOf } from './harness/config/run.ts'
import {
  resolveSettings,
  SkilldeltaOptionsSchema,
  type RunSettings,
  type Settings,
  type SkilldeltaOptions,
} from './harness/config/settings.ts'
import { compileGoal } from './harness/goal/compile.ts'
import { resolveJudge } from './harness/judge/index.ts'
import { ORACLES_DIR, ORACLES_PROJECT, oraclePlan } from './harness/oracles/plan.ts'
import { MatrixSequencer } from './harness/runtime/sequencer.ts'
import type { JudgePlan } from './harness/runtime/provided.ts'

import './harness/runtime/provided.ts'

const GOAL_FILE = /\.GOAL\.md$/i
const WARNED = Symbol.for('skilldelta.goal-warnings')
const HARNESS_DIRS = ['src/harness', 'src/matchers'].map((dir) => path.join(PACKAGE_ROOT, dir))
const isHarnessFrame = (file: string): boolean => HARNESS_DIRS.some((dir) => file.startsWith(dir))

/**
 * The Vite plugin: GOAL.md files become test modules (with source maps back to the .md), the
 * matchers are registered, and every project of the run gets the run's settings — resolved once,
 * with one run id per Vitest invocation.
 */
export function skilldelta(settings: Settings): Plugin {
  const runId = readEnv().SKILLDELTA_RUN_ID
  // once per Vitest process, however many projects (and copies of this module) compile the file
  const holder = globalThis as { [WARNED]?: Set<string> }
  const warned = (holder[WARNED] ??= new Set<string>())
  return {
    name: 'skilldelta',
    enforce: 'pre',
    config: () => ({
      test: {
        setupFiles: [path.join(PACKAGE_ROOT, 'src/matchers/index.ts')],
        globalSetup: [path.join(PACKAGE_ROOT, 'src/harness/runtime/global-setup.ts')],
        // the same GOAL.md runs once per model: shard by (project, file), not by file alone
        sequence: { sequencer: MatrixSequencer },
        // compiled checks carry their own timeouts (config/limits.ts); this is for hand-written tests
        testTimeout: 300_000,
        // Point failures at the GOAL.md line, not at harness internals (SKILLDELTA_DEBUG=1 keeps them).
        onStackTrace: (_error, frame) => settings.debug || !isHarnessFrame(frame.file),
      },
    }),
    configureVitest({ vitest, project }) {
      const run = runOf(vitest, settings, runId)
      project.provide('skilldelta:run', run)
      const model = project.config.provide?.['skilldelta:model']
      if (model) widenWorkers(vitest, model, run)
      if (settings.oracles && project.name === ORACLES_PROJECT)
        project.provide('skilldelta:oracles', oraclePlan(run, settings.oracles))
    },
    transform(source, id) {
      const file = id.split('?')[0] ?? id
      if (!GOAL_FILE.test(file)) return null
      // the bytes on disk, not the text the bundler decoded: binary files and byte-order marks are seen as they are
      let input: string | Buffer = source
      try {
        input = readFileSync(file)
      } catch {
        // a virtual or vanished module: compile the text we were given
      }
      const { code, map, warnings } = compileGoal(input, file, {
        runtimeImport: RUNTIME_MODULE,
        tiers: settings.tiers,
        root: settings.root,
      })
      for (const warning of warnings) {
        const line = `${path.relative(settings.root, file)}:${warning.line}: ${warning.message}`
        if (!warned.has(line)) console.warn(`[skilldelta] warning: ${line}`)
        warned.add(line)
      }
      return { code, map: JSON.stringify(map) }
    },
  }
}

const WIDENED = Symbol.for('skilldelta.workers')
/** Worker processes beyond this are not worth their memory: a file already runs its cells concurrently. */
const MAX_WORKERS = 16

/**
 * Workers sized from the models, not the CPU. A file's cells (conditions × samples) run
 * concurrently, so a model that allows `concurrency` calls at once, with `execution.parallel`
 * notebooks running meanwhile, needs ceil((concurrency + parallel) / cells per file) files at once.
 * Vitest's default (cores − 1) would let one call run at a time on two cores. Only when nobody chose
 * a worker count (`maxWorkers` in the config, --maxWorkers, VITEST_MAX_WORKERS); once per selected
 * model project, so only the models being run count.
 */
function widenWorkers(vitest: Vitest, model: ModelSpec, run: RunSettings): void {
  const holder = globalThis as { [WIDENED]?: WeakMap<object, number> }
  const ours = (holder[WIDENED] ??= new WeakMap())
  const chosen = vitest.config.maxWorkers
  if (chosen !== undefined && chosen !== ours.get(vitest)) return
  const pattern = vitest.config.testNamePattern
  const conditions = run.conditions.filter((c) => !pattern || pattern.test(c.name)).length || 1
  const wanted = Math.ceil((model.concurrency + run.execution.parallel) / (conditions * run.epochs))
  const workers = Math.min(MAX_WORKERS, Math.max(chosen ?? Math.max(1, availableParallelism() - 1), wanted))
  vitest.config.maxWorkers = workers
  ours.set(vitest, workers)
}

export interface SkilldeltaConfig extends SkilldeltaOptions {
  /** Any other Vitest/Vite configuration, merged over what skilldelta sets (e.g. `{ test: { maxWorkers: 4 } }`). */
  vitest?: ViteUserConfig
}

/**
 * The whole skilldelta setup in one call: the plugin, one Vitest project per model in models.yaml
 * (`vitest run --project <name>`), and the reporters (progress, skill Δ tables; Allure with
 * SKILLDELTA_ALLURE=1).
 *
 *   export default defineSkilldeltaConfig({ conditions: ['zero_shot', 'with_skills'], epochs: 3 })
 */
export function defineSkilldeltaConfig(config: SkilldeltaConfig = {}): ViteUserConfig {
  const { vitest: extra, ...options } = config
  SkilldeltaOptionsSchema.parse(options)
  const settings = resolveSettings(options, process.cwd())
  rememberProject(settings)
  const models = loadModelsFile(settings.modelsFile)
  const unknown = (settings.reference ?? []).filter((name) => !models.models.some((m) => m.name === name))
  if (unknown.length)
    throw new Error(
      `skilldelta options: reference model(s) ${unknown.join(', ')} are not in ${settings.modelsFile} ` +
        `(models: ${models.models.map((m) => m.name).join(', ')})`,
    )
  const judge = resolveJudge(models, settings.judgeOverride)
  const plan: JudgePlan = judge
    ? { setup: judge }
    : { unavailable: 'no judge model configured: name one under judge: in models.yaml, or set SKILLDELTA_JUDGE' }
  // Every project is whole rather than `extends: true`: extending makes Vitest load (and bundle) this
  // config file once more per project — with ten models, about 1.5 s before anything runs. What
  // extending gave them, they get here: the plugin and the user's `vitest:` options (Vitest ignores
  // the root-only ones, like maxWorkers, inside a project).
  const plugin = skilldelta(settings)
  const inherited = mergeConfig(
    {
      plugins: [plugin],
      // one worker process runs goal file after goal file: its notebook runner, the kernels it
      // started ahead and its analysis process stay up across files instead of restarting per file
      test: { isolate: false },
    },
    extra ? { ...extra, test: { ...extra.test, projects: undefined } } : {},
  ) as TestProjectInlineConfiguration
  const project = (test: TestProjectInlineConfiguration['test']) =>
    mergeConfig(inherited, { test }) as TestProjectInlineConfiguration
  const projects: TestProjectInlineConfiguration[] = models.models.map((model) =>
    project({
      name: model.name,
      include: settings.include,
      provide: { 'skilldelta:model': model, 'skilldelta:judge': plan },
    }),
  )
  if (settings.oracles)
    projects.push(
      project({
        name: ORACLES_PROJECT,
        dir: ORACLES_DIR,
        include: ['suite.ts'],
        // each test runs one notebook; TVB simulations use about one core each
        maxConcurrency: Math.max(1, availableParallelism()),
      }),
    )
  const allure: [string, Record<string, unknown>][] = settings.allure
    ? [['allure-vitest/reporter', { resultsDir: 'allure-results' }]]
    : []
  const base = defineConfig({
    plugins: [plugin],
    test: {
      projects,
      reporters: [
        'default',
        new ProgressReporter(),
        new AblationReporter({
          resultsDir: settings.resultsDir,
          margin: settings.margin,
          ...(settings.reference ? { reference: settings.reference } : {}),
        }),
        ...(settings.oracles ? [new OracleTableReporter()] : []),
        ...allure,
      ],
    },
  })
  return extra ? mergeConfig(base, extra) : base
}

export type { SkilldeltaOptions }
