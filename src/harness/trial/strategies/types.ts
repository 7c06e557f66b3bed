import type { ModelSpec } from '../../config/models.ts'
import type { ExecutionSettings } from '../../config/settings.ts'
import type { ModelClient } from '../../models/client.ts'
import type { ExecutionReport } from '../../notebook/report.ts'
import type { TrialRecord } from '../../results/schema.ts'
import type { PromptPlan } from '../prompt.ts'

/** What a generation strategy gets: the model, the planned prompt, and the harness's services. */
interface GenerationContext {
  model: ModelSpec
  plan: PromptPlan
  /** The trial directory: strategies write their artifacts (reply, transcript, notebook) here. */
  dir: string
  sample: number
  client: ModelClient
  /** The trial's deadline: cancels model calls and executions when it passes. */
  signal: AbortSignal
  sandbox: ExecutionSettings['sandbox']
  /** Execute a notebook the harness wrote (the pipeline records each execution). */
  execute(notebook: string): Promise<ExecutionReport>
}

/** What a strategy produced. It never writes the trial record: the pipeline does, from this. */
export interface Produced {
  /** A notebook still to be executed (single-shot). */
  notebook?: string
  /** The last execution, when the strategy executes as it goes (driver/navigator). */
  execution?: ExecutionReport
  /** Why there is no notebook (a generation failure), when there is none. */
  failure?: string
  /** The trial's deadline passed during generation. */
  timedOut?: boolean
  generation: NonNullable<TrialRecord['generation']>
  reportedModel: string | null
  loop?: TrialRecord['loop']
  /** Model calls made and served from the call cache. */
  calls: { made: number; cached: number }
  /** Files written into the trial directory, by record key. */
  artifacts: Record<string, string>
}

export type GenerationStrategy = (context: GenerationContext) => Promise<Produced>
