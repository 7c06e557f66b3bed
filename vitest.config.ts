import { defineSkilldeltaConfig } from './src/index.ts'

// The benchmark matrix: every benchmarks/**/*.GOAL.md × every model in models.yaml × every condition.
// Run one model: `npx vitest run --project fixture-oracle`. Harness tests: `npm test` (test/vitest.config.ts).
// SKILLDELTA_ALLURE=1 also writes allure-results/; browse it with `npx allure generate allure-results`.
export default defineSkilldeltaConfig({
  models: 'models.yaml',
  conditions: ['zero_shot', 'one_shot', 'with_skills'],
  epochs: 1,
})
