import { defineSkilldeltaConfig } from './src/index.ts'

// The benchmark matrix: every benchmarks/**/*.GOAL.md × every model in models.yaml × every condition.
// Run one model: `npx vitest run --project fixture-oracle`. Harness tests: `npm test` (test/vitest.config.ts).
// One suite: `npx skilldelta run --suite seed` (or SKILLDELTA_SUITE=seed npx vitest run …).
// SKILLDELTA_ALLURE=1 also writes allure-results/; browse it with `npx allure generate allure-results`.
export default defineSkilldeltaConfig({
  models: 'models.yaml',
  conditions: ['zero_shot', 'one_shot', 'with_skills'],
  epochs: 1,
  suites: {
    // four goals, one per core skill: what `npm start` runs on the embedded model
    seed: [
      'benchmarks/tutorial/analyze_power_spectra.GOAL.md',
      'benchmarks/tutorial/stochastic_vs_deterministic.GOAL.md',
      'benchmarks/tutorial/bold_monitor.GOAL.md',
      'benchmarks/abstract/connectome_summary.GOAL.md',
    ],
    tutorial: ['benchmarks/tutorial/*.GOAL.md'],
    abstract: ['benchmarks/abstract/*.GOAL.md'],
    research: ['benchmarks/research/*.GOAL.md'],
  },
})
