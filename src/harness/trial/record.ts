import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Verdict } from '../checks/types.ts'
import type { JudgeRecord } from '../judge/index.ts'
import type { ExecutionReport } from '../notebook/report.ts'
import { TrialRecordSchema, type TrialRecord, type TrialStatus } from '../results/schema.ts'
import { appendRecord } from '../results/store.ts'

/** Who the trial is: one cell (and sample) of the matrix. */
interface TrialIdentity {
  runId: string
  goal: TrialRecord['goal']
  model: Omit<TrialRecord['model'], 'reported'>
  condition: string
  sample: number
}

/**
 * The trial's record, owned here and only here. Every change is a named transition — planned,
 * prompted, restored, generated, executed, concluded, checked, judged, finished (or crashed) — that
 * updates the one value and persists it: trial.json is rewritten atomically after each transition,
 * and records.jsonl gets a line when the trial is planned and when it is finished, so a trial that
 * started is never silently missing from the results.
 */
export class TrialState {
  /** The last write of trial.json, queued in order. */
  private saving: Promise<void> = Promise.resolve()

  private constructor(
    readonly dir: string,
    private readonly resultsDir: string,
    private readonly record: TrialRecord,
  ) {}

  /** A new trial: its directory, trial.json, and the "planned" line in records.jsonl. */
  static async plan(identity: TrialIdentity, dir: string, resultsDir: string, root: string): Promise<TrialState> {
    await mkdir(dir, { recursive: true })
    const state = new TrialState(dir, resultsDir, {
      schema: 'skilldelta.trial/1',
      runId: identity.runId,
      goal: identity.goal,
      model: { ...identity.model, reported: null },
      condition: identity.condition,
      sample: identity.sample,
      status: 'pending',
      stage: 'planned',
      checks: {},
      // paths relative to the project (dir) and to the trial directory (files): results stay portable
      artifacts: { dir: path.relative(root, dir) },
      startedAt: new Date().toISOString(),
    })
    await state.save()
    await appendRecord(resultsDir, state.record)
    return state
  }

  /** The record as it stands (a copy: change it only through the transitions). */
  get value(): TrialRecord {
    return structuredClone(this.record)
  }

  get status(): TrialStatus {
    return this.record.status
  }

  /** The prompt the model gets, with the skills offered and dropped, and the cache key. */
  async prompted(prompt: NonNullable<TrialRecord['prompt']>, cache: NonNullable<TrialRecord['cache']>): Promise<void> {
    this.record.prompt = prompt
    this.record.cache = cache
    await this.save()
  }

  /**
   * A cache hit: the finished trial's files were copied into this directory. Keep what happened
   * (generation, execution, status); give it this run's identity; checks and the judge run again.
   */
  async restored(cached: TrialRecord, key: string): Promise<void> {
    const { judge: _judgedInAnotherRun, ...finished } = cached
    const mode = this.record.cache?.mode ?? 'on'
    Object.assign(this.record, {
      ...finished,
      runId: this.record.runId,
      stage: 'executed',
      artifacts: { ...cached.artifacts, dir: this.record.artifacts.dir ?? '' },
      checks: {},
      startedAt: this.record.startedAt,
      cache: { mode, key: key.slice(0, 16), trial: 'hit', call: 'none', from: cached.runId },
    } satisfies Partial<TrialRecord>)
    delete this.record.finishedAt
    await this.save()
  }

  /** The model's side is done: what it cost, what it reported, how the loop ended. */
  async generated(update: {
    generation: NonNullable<TrialRecord['generation']>
    reportedModel: string | null
    loop?: TrialRecord['loop']
    calls: NonNullable<TrialRecord['cache']>['call']
    artifacts: Record<string, string>
  }): Promise<void> {
    this.record.generation = update.generation
    if (update.reportedModel) this.record.model.reported = update.reportedModel
    if (update.loop) this.record.loop = update.loop
    if (this.record.cache) this.record.cache.call = update.calls
    Object.assign(this.record.artifacts, update.artifacts)
    if (this.record.stage === 'planned') this.record.stage = 'generated'
    await this.save()
  }

  /** A notebook was executed (driver/navigator executes after every round: the last one counts). */
  async executed(notebook: string, execution: ExecutionReport): Promise<void> {
    this.record.artifacts.notebook = path.relative(this.dir, notebook)
    this.record.execution = {
      status: execution.status,
      isolated: execution.isolated,
      wallMs: execution.wallMs,
      cellsRun: execution.cells.filter((c) => c.status === 'ok' || c.status === 'error' || c.status === 'timeout')
        .length,
      codeCells: execution.cells.filter((c) => c.status !== 'skipped').length,
      firstError: execution.firstError
        ? { cell: execution.firstError.cell, ename: execution.firstError.ename, evalue: execution.firstError.evalue }
        : null,
    }
    if (execution.executedNotebook) this.record.artifacts.executed = path.relative(this.dir, execution.executedNotebook)
    this.record.artifacts.execution = 'execution.json'
    this.record.stage = 'executed'
    await this.save()
  }

  /** The trial's outcome before checks: ok, or the status that explains why there is nothing (good) to check. */
  async concluded(status: Exclude<TrialStatus, 'pending' | 'judge_error'>, error?: string | undefined): Promise<void> {
    this.record.status = status
    if (error) this.record.error = error
    await this.save()
  }

  /** One check's verdict, with the numbers behind it. */
  async checked(
    id: string,
    kind: { key: string; objective: boolean },
    verdict: Verdict,
    reused = false,
  ): Promise<void> {
    this.record.checks[id] = {
      kind: kind.key,
      objective: kind.objective,
      status: verdict.status,
      ...(reused ? { reused: true } : {}),
      ...(verdict.message && verdict.status !== 'pass' ? { message: verdict.message.slice(0, 4000) } : {}),
      ...(Object.keys(verdict.measured).length ? { measured: verdict.measured } : {}),
      at: new Date().toISOString(),
    }
    if (this.record.stage !== 'judged') this.record.stage = 'checked'
    await this.save()
  }

  /** The judge's verdict. A failed judgement makes a clean trial `judge_error`; a failed execution keeps its status. */
  async judged(judgement: JudgeRecord, artifacts: Record<string, string>): Promise<void> {
    this.record.judge = judgement
    Object.assign(this.record.artifacts, artifacts)
    if (judgement.status === 'error' && this.record.status === 'ok') {
      this.record.status = 'judge_error'
      this.record.error = `judge ${judgement.model.name}: ${judgement.error?.message ?? 'no valid judgement'}`
    }
    this.record.stage = 'judged'
    await this.save()
  }

  /** A file the harness added to the trial directory after the fact (the rendered HTML). */
  async attached(key: string, file: string): Promise<void> {
    this.record.artifacts[key] = file
    await this.save()
  }

  /** The cell is over: the complete record goes to records.jsonl. */
  async finished(): Promise<TrialRecord> {
    if (this.record.status === 'pending') {
      this.record.status = 'infra_error'
      this.record.error ??= 'the trial ended without an outcome'
    }
    this.record.stage = 'finished'
    this.record.finishedAt = new Date().toISOString()
    await this.save()
    await appendRecord(this.resultsDir, this.record)
    return this.value
  }

  /** The harness itself failed: an infrastructure error with the reason, recorded like any outcome. */
  async crashed(error: unknown): Promise<void> {
    this.record.status = 'infra_error'
    this.record.error = `the trial crashed: ${(error as Error)?.stack ?? String(error)}`.slice(0, 4000)
    await this.save()
  }

  /**
   * Atomically, so a reader (or a killed run) never sees half a file; one write at a time, in the
   * order of the transitions, however many of them are in flight (checks, the judge, evidence).
   */
  private save(): Promise<void> {
    const file = path.join(this.dir, 'trial.json')
    const tmp = `${file}.${process.pid}.tmp`
    const text = `${JSON.stringify(TrialRecordSchema.parse(this.record), null, 2)}\n`
    const write = async () => {
      await writeFile(tmp, text)
      await rename(tmp, file)
    }
    this.saving = this.saving.then(write, write)
    return this.saving
  }
}
