import type { ModelSpec } from '../config/models.ts'
import type { RunSettings } from '../config/settings.ts'
import type { JudgeSetup } from '../judge/index.ts'

/** Loopback services the main process runs for the whole run. */
export interface RunServices {
  /** The concurrency broker every model call takes a provider slot from. */
  brokerUrl?: string
  /** The fixture server that answers fixture models (under test or judging). */
  fixtureUrl?: string
}

/** The judge of a model project: who, or why there is none in this run. */
export interface JudgePlan {
  setup?: JudgeSetup
  /** Set when judge checks are skipped in this run (no judge configured, its key missing, …). */
  unavailable?: string
}

/** What the main process provides to workers. Values only: workers never re-read files or the environment. */
declare module 'vitest' {
  interface ProvidedContext {
    'skilldelta:run': RunSettings
    'skilldelta:model': ModelSpec
    'skilldelta:judge': JudgePlan
    'skilldelta:services': RunServices
  }
}

export {}
