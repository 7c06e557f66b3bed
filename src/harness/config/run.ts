import { newRunId, type RunSettings, type Settings } from './settings.ts'

/**
 * One run = one Vitest invocation. Vitest evaluates the config once for the root and once per
 * project, so options are resolved several times; the run id must not be. It is chosen the first
 * time the run is looked up and keyed by the Vitest instance, in a registry shared by every copy of
 * this module (each config evaluation bundles its own copy). Nothing is written to process.env.
 */
const REGISTRY = Symbol.for('skilldelta.runs')
type Registry = WeakMap<object, RunSettings>

function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry }
  return (holder[REGISTRY] ??= new WeakMap())
}

/** The run of this Vitest instance, created from `settings` on first use. */
export function runOf(vitest: object, settings: Settings, runId?: string): RunSettings {
  const known = registry().get(vitest)
  if (known) return known
  const run: RunSettings = { ...settings, runId: runId ?? newRunId() }
  registry().set(vitest, run)
  return run
}

/** The run a plugin already made for this Vitest instance, if any (reporters and the CLI read it). */
export const existingRun = (vitest: object): RunSettings | undefined => registry().get(vitest)
