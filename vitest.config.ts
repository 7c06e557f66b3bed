import { defineConfig } from 'vitest/config'
import { AblationReporter } from './reporters/ablation.ts'
import { ProgressReporter } from './reporters/progress.ts'
import { modelProjects, skilldelta, type SkilldeltaOptions } from './src/plugin.ts'

// The benchmark matrix: every benchmarks/**/*.GOAL.md × every model in models.yaml × every condition.
// Run one model: `npx vitest run --project fixture-oracle`. Harness tests: `npm test` (test/vitest.config.ts).
const options: SkilldeltaOptions = {
  models: 'models.yaml',
  conditions: ['zero_shot', 'one_shot', 'with_skills'],
  epochs: 1,
}

// SKILLDELTA_ALLURE=1 also writes allure-results/ (model, condition, goal and sample as parameters,
// the same attachments as Vitest UI); browse it with `npx allure generate allure-results`.
const allure =
  process.env.SKILLDELTA_ALLURE === '1'
    ? [['allure-vitest/reporter', { resultsDir: 'allure-results' }] as [string, Record<string, unknown>]]
    : []

export default defineConfig({
  plugins: [skilldelta(options)],
  test: {
    projects: modelProjects(options),
    reporters: ['default', new ProgressReporter(), new AblationReporter(), ...allure],
  },
})
