/** skilldelta's reporters, for a hand-made Vitest config (defineSkilldeltaConfig adds them itself). */
export { AblationReporter, type AblationReporterOptions } from './ablation.ts'
export { ProgressReporter } from './progress.ts'
