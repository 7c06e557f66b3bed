import { selectSignal, withVariable, type SignalSelector, type SignalSubject } from '../analysis/select.ts'
import { checkKind } from '../checks/registry.ts'
import type { CheckInputs, CheckInstance, CheckKind, ExecutionSubject, Verdict } from '../checks/types.ts'
import { checkTimeoutMs, type TrialLimits } from '../config/limits.ts'
import type { ModelSpec } from '../config/models.ts'
import type { Condition, RunSettings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import { judgeTrial, type JudgeSetup } from '../judge/index.ts'
import type { JudgeSubject } from '../judge/subject.ts'
import type { ModelClient } from '../models/client.ts'
import { runTrial, type TrialOutcome } from './run.ts'
import { VerdictCache } from './verdicts.ts'

class LateTrial extends Error {}

/** The trial's deadline reaches every step; should one ignore it, the cell still ends (as a hook timeout would). */
async function withinTime<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LateTrial(`the trial did not end within ${Math.round(ms / 1000)} s`)), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

/** A research goal's `## Expected Result` (or `Expected Results`) section: the paper's finding. */
function researchResult(goal: Goal): { expected?: string } {
  if (goal.tier !== 'research') return {}
  const found = Object.entries(goal.sections).find(([heading]) => /^expected results?$/i.test(heading.trim()))
  return found?.[1] ? { expected: found[1] } : {}
}

/** Who a cell runs against: given as values, so the same cell runs inside a goal's tests or a bench. */
export interface CellContext {
  model: ModelSpec
  settings: RunSettings
  client: () => ModelClient
  /** The judge, or why there is none (judge checks are then skipped with that reason). */
  judge: { setup?: JudgeSetup; unavailable?: string }
  /** The run's broker (trial tickets, notebook slots); without one nothing waits. */
  brokerUrl?: string
  onWarning?: (message: string) => void
}

/** One check's verdict, already recorded on the trial. */
export interface Assessed {
  instance: CheckInstance
  kind: CheckKind<unknown>
  verdict: Verdict
}

/**
 * One cell of the matrix — (goal, model, condition, sample): the trial runs once, then each check
 * asks the registry for its verdict, which the trial records. Test frameworks sit on top of this.
 */
export class TrialCell {
  private result: TrialOutcome | undefined
  private failure: string | undefined
  private judging: Promise<JudgeSubject> | undefined
  /** Objective verdicts reused or stored by artifacts and check definition (an executed trial only). */
  private verdicts: VerdictCache | undefined

  constructor(
    readonly goal: Goal,
    readonly condition: Condition,
    readonly sample: number,
    readonly limits: TrialLimits,
    private readonly context: CellContext,
  ) {}

  get outcome(): TrialOutcome | undefined {
    return this.result
  }

  /**
   * Run the trial once its provider admits it: trials overlap up to the provider's current limit
   * (plus the notebooks that can execute meanwhile), and the trial's clock starts at admission, so
   * waiting behind other trials never eats its time. Whatever the trial does, it ends by `hookMs`.
   */
  async run(): Promise<void> {
    const { model, settings, client, brokerUrl, onWarning } = this.context
    const ticket = await client().admit(model, settings.execution.parallel, this.limits.hookMs)
    try {
      this.result = await withinTime(
        runTrial({
          goal: this.goal,
          model,
          condition: this.condition,
          sample: this.sample,
          settings,
          limits: this.limits,
          client: client(),
          ...(brokerUrl ? { brokerUrl } : {}),
          ...(onWarning ? { onWarning } : {}),
        }),
        this.limits.hookMs,
      )
      if (this.result.execution) this.verdicts = new VerdictCache(settings.cache, this.result.state.dir).start()
    } catch (error) {
      // the trial could not even be planned (its directory cannot be written): nothing to record into
      this.failure =
        error instanceof LateTrial
          ? error.message
          : `the trial could not start: ${(error as Error).stack ?? String(error)}`
      throw error
    } finally {
      await ticket.release()
    }
  }

  /** A check test's timeout, from the same limits as the trial's. */
  timeout(index: number): number {
    const instance = this.goal.checks[index]
    return checkTimeoutMs(this.limits, instance ? checkKind(instance.kind).needs.includes('judge') : false)
  }

  /** Check `index` of the goal: its verdict from the registry, recorded on the trial. */
  async assess(index: number): Promise<Assessed> {
    const instance = this.goal.checks[index]
    if (!instance) throw new Error(`goal ${this.goal.id} has no check #${index}`)
    const kind = checkKind(instance.kind)
    const verdicts = this.verdicts?.applies(kind) ? this.verdicts : undefined
    let verdict = await verdicts?.reuse(instance)
    const reused = verdict !== undefined
    if (!verdict) {
      try {
        verdict = await kind.assess(instance.params, this.inputs())
        await verdicts?.store(instance, verdict)
      } catch (error) {
        verdict = { status: 'fail', message: `the check could not run: ${(error as Error).message}`, measured: {} }
      }
    }
    if (this.result) await this.result.state.checked(instance.id, kind, verdict, reused)
    return { instance, kind, verdict }
  }

  /** The cell is over (all its checks ran): the complete record goes to records.jsonl. */
  async close(): Promise<void> {
    if (this.result) await this.result.state.finished()
  }

  private missing(): string {
    const record = this.result?.state.value
    if (record?.error) return `${record.status}: ${record.error}`
    return this.failure ?? 'the trial did not run'
  }

  private execution(): ExecutionSubject {
    return this.result?.execution ?? { executed: false, reason: this.missing() }
  }

  private async signal(selector: SignalSelector): Promise<SignalSubject> {
    const execution = this.result?.execution
    if (!this.result || !execution) {
      return { found: false, reason: `no notebook was executed (${this.missing()})`, available: [] }
    }
    return withVariable(selectSignal(execution, selector, this.result.state.dir), selector)
  }

  /** The judge grades the trial once, when the first judge check asks; the trial records the verdict. */
  private judgement(): Promise<JudgeSubject> {
    const { setup, unavailable } = this.context.judge
    if (!setup || unavailable) {
      const reason =
        unavailable ?? 'no judge model configured: name one under judge: in models.yaml, or set SKILLDELTA_JUDGE'
      return Promise.resolve({ judged: false, unavailable: true, reason })
    }
    const outcome = this.result
    if (!outcome) return Promise.resolve({ judged: false, reason: this.missing() })
    this.judging ??= (async () => {
      const record = outcome.state.value
      const judged = await judgeTrial({
        task: this.goal.body,
        tier: this.goal.tier,
        ...researchResult(this.goal),
        status: record.status,
        ...(record.error ? { error: record.error } : {}),
        execution: outcome.execution,
        dir: outcome.state.dir,
        setup,
        settings: this.context.settings.judge,
        client: this.context.client(),
        signal: AbortSignal.timeout(this.limits.judgeMs),
      })
      if (judged.record) await outcome.state.judged(judged.record, judged.artifacts)
      return judged.subject
    })()
    return this.judging
  }

  private inputs(): CheckInputs {
    return {
      execution: () => this.execution(),
      signal: (selector) => this.signal(selector),
      judgement: () => this.judgement(),
      results: () => {
        const probe = this.result?.execution?.probe
        return probe?.status === 'ok' ? probe.results : {}
      },
      outDir: this.result?.state.dir ?? '',
    }
  }
}
