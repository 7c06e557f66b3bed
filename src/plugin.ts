import path from 'node:path'
import type { Plugin } from 'vite'
import type { TestProjectInlineConfiguration } from 'vitest/config'
import { loadModelsFile } from './harness/config/models.ts'
import { resolveJudge } from './harness/judge/index.ts'
import { PACKAGE_ROOT, RUNTIME_MODULE } from './harness/config/paths.ts'
import { resolveSettings, SkilldeltaOptionsSchema, type SkilldeltaOptions } from './harness/config/settings.ts'
import { compileGoal } from './harness/goal/compile.ts'
import { MatrixSequencer } from './harness/runtime/sequencer.ts'

const GOAL_FILE = /\.GOAL\.md$/i
const HARNESS_DIRS = ['src/harness/runtime', 'src/matchers'].map((dir) => path.join(PACKAGE_ROOT, dir))
const isHarnessFrame = (file: string): boolean => HARNESS_DIRS.some((dir) => file.startsWith(dir))

/**
 * The Vite plugin: GOAL.md files become test modules (with source maps back to the .md),
 * the matchers are registered, and run settings reach every worker through `provide`.
 * Settings are resolved once, here, so every model project shares one run id.
 */
export function skilldelta(options: SkilldeltaOptions = {}): Plugin {
  const parsed = SkilldeltaOptionsSchema.parse(options)
  const settings = resolveSettings(options, process.cwd())
  return {
    name: 'skilldelta',
    enforce: 'pre',
    config: () => ({
      test: {
        include: parsed.include,
        setupFiles: [path.join(PACKAGE_ROOT, 'src/matchers/index.ts')],
        globalSetup: [path.join(PACKAGE_ROOT, 'src/harness/runtime/global-setup.ts')],
        provide: { 'skilldelta:settings': settings },
        // the same GOAL.md runs once per model: shard by (project, file), not by file alone
        sequence: { sequencer: MatrixSequencer },
        testTimeout: 300_000,
        hookTimeout: 3_600_000,
        // Point failures at the GOAL.md line, not at harness internals (SKILLDELTA_DEBUG=1 keeps them).
        onStackTrace: (_error, frame) => process.env.SKILLDELTA_DEBUG === '1' || !isHarnessFrame(frame.file),
      },
    }),
    transform(source, id) {
      const file = id.split('?')[0] ?? id
      if (!GOAL_FILE.test(file)) return null
      const { code, map } = compileGoal(source, file, { runtimeImport: RUNTIME_MODULE })
      return { code, map: JSON.stringify(map) }
    },
  }
}

/** One Vitest project per model in models.yaml: `vitest run --project <name>`. */
export function modelProjects(options: SkilldeltaOptions = {}): TestProjectInlineConfiguration[] {
  const file = loadModelsFile(path.resolve(process.cwd(), SkilldeltaOptionsSchema.parse(options).models))
  const judge = resolveJudge(file)
  return file.models.map((model) => ({
    extends: true,
    test: { name: model.name, provide: { 'skilldelta:model': model, ...(judge ? { 'skilldelta:judge': judge } : {}) } },
  }))
}

export type { SkilldeltaOptions }
