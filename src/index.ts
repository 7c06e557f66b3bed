/**
 * skilldelta's public API. A project's vitest.config.ts:
 *
 *   import { defineSkilldeltaConfig } from 'skilldelta'
 *   export default defineSkilldeltaConfig({ conditions: ['zero_shot', 'with_skills'], epochs: 3 })
 *
 * Matchers for hand-written tests: `skilldelta/matchers`. Reporters for a hand-made config:
 * `skilldelta/reporters`.
 */
export { defineSkilldeltaConfig, type SkilldeltaConfig, type SkilldeltaOptions } from './config.ts'
