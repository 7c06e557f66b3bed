import type { ModelSpec } from '../config/models.ts'
import type { RunSettings } from '../config/settings.ts'

/** What the main process provides to workers (and what reporters can read back from the config). */
declare module 'vitest' {
  interface ProvidedContext {
    'skilldelta:settings': RunSettings
    'skilldelta:model': ModelSpec
    'skilldelta:fixtureUrl': string
    'skilldelta:brokerUrl': string
  }
  interface TaskMeta {
    skilldelta?: { goal: string; model: string; condition: string; sample: number; trialDir: string; check: string }
  }
}

export {}
