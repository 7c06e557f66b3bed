/**
 * skilldelta's public API for use outside Vitest configs: the pieces a study script or another
 * tool may want (run a notebook in the sandbox, measure a spectrum, compile or parse a goal, call
 * a model, select skills, compute skill Δ). The Vitest integration is `skilldelta/vitest`; the
 * matchers are `skilldelta/matchers`.
 */
export { loadModels, ModelSpecSchema, type ModelSpec } from './harness/config/models.ts'
export { resolveSettings, type RunSettings, type SkilldeltaOptions } from './harness/config/settings.ts'
export { compileGoal } from './harness/goal/compile.ts'
export { GoalError, parseGoal } from './harness/goal/parse.ts'
export { GoalSchema, type Goal } from './harness/goal/schema.ts'
export { chat, ModelMismatchError, ProviderError, type ChatResult } from './harness/models/chat.ts'
export { startFixtureServer, loadFixtureScript } from './harness/models/fixture-server.ts'
export { executeNotebook, type ExecuteOptions } from './harness/notebook/execute.ts'
export type { ExecutionReport } from './harness/notebook/report.ts'
export { measurePsd } from './harness/analysis/psd.ts'
export { selectSignal } from './harness/analysis/select.ts'
export { loadSkills, parseSkill } from './harness/skills/load.ts'
export { selectSkills } from './harness/skills/select.ts'
export { runTrial } from './harness/trial/run.ts'
export { TrialRecordSchema, type TrialRecord } from './harness/trial/record.ts'
export { readRecords } from './harness/store/records.ts'
export { buildAblation, formatMarkdown } from './harness/report/ablation.ts'
export { pairedDelta } from './harness/report/stats.ts'
export { gate, readBaseline } from './harness/report/gate.ts'
