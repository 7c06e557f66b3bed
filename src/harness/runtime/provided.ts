import type { ModelSpec } from '../config/models.ts'
import type { RunSettings } from '../config/settings.ts'
import type { JudgeSetup } from '../judge/index.ts'

/** What the main process provides to workers (and what reporters can read back from the config). */
declare module 'vitest' {
  interface ProvidedContext {
    'skilldelta:settings': RunSettings
    'skilldelta:model': ModelSpec
    'skilldelta:fixtureUrl': string
    'skilldelta:brokerUrl': string
    /** The judge for this model project, when one is configured. */
    'skilldelta:judge': JudgeSetup
    /** Why the configured judge cannot answer in this run (judge checks skip with this reason). */
    'skilldelta:judgeUnavailable': string
  }
  interface TaskMeta {
    skilldelta?: { goal: string; model: string; condition: string; sample: number; trialDir: string; check: string }
  }
}

export {}
