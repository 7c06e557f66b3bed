import { existsSync } from 'node:fs'
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { costOf, type ModelSpec } from '../config/models.ts'
import type { Condition, Settings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import type { ModelClient } from '../models/client.ts'
import { METRICS, type MetricName } from '../report/ablation.ts'
import { analyzeFailures, writeFailures, type FailureCluster } from '../report/failures.ts'
import { pairedDelta, type TrialScore } from '../report/stats.ts'
import type { TrialRecord } from '../results/schema.ts'
import { readRecordFiles, recordsFile } from '../results/store.ts'
import { planPrompt } from '../trial/prompt.ts'
import type { Keeper } from './branch.ts'
import { confirmHoldout, decideTrain, noiseFloor, revalidate, type Floors, type StudentDelta } from './decide.ts'
import { leakCorpus } from './leak.ts'
import {
  appendEntry,
  deltaCell,
  formatCells,
  readLedger,
  renderTsv,
  type DeltaCell,
  type Entry,
  type Final,
  type Row,
  type Spend,
} from './ledger.ts'
import { armName, libraryDiff, libraryTokens, snapshot, type Library } from './library.ts'
import { propose } from './propose.ts'
import { screen } from './screen.ts'

/**
 * The improvement loop (`skilldelta improve`): measure the noise (A/A), then per iteration — pick a
 * failure cluster of the champion on the train goals, ask the teacher for one change, screen it, and
 * only then spend trials: champion vs candidate on the train goals (K samples × every student, paired
 * by goal), decided against the noise floor, confirmed on the holdout goals; re-validate the champion
 * on fresh samples every N accepted changes; stop on a budget, K consecutive rejections or a target.
 * Every decision is a line of the ledger, so a killed study resumes where it stopped (trials and the
 * teacher's replies come back from the cache). Evaluations go through `evaluate` (the normal Vitest
 * path in the CLI), so this module decides and records, and never runs a trial itself.
 */

/** One arm of an evaluation: a library, and the first of the samples it draws. */
export interface EvaluationArm {
  name: string
  library: string
  firstSample: number
}

export interface Evaluation {
  runId: string
  /** Goal files, relative to the project root. */
  goals: string[]
  arms: EvaluationArm[]
  samples: number
}

/** Runs an evaluation to completion and returns its finished records (throws when it could not). */
export type Evaluator = (evaluation: Evaluation) => Promise<TrialRecord[]>

export interface StopRules {
  iterations?: number
  tokens?: number
  minutes?: number
  /** Consecutive rejections (refused, rejected, reverted, invalid). */
  patience: number
  /** Stop when the champion's holdout score reaches this for every student. */
  target?: number
}

export interface StudyOptions {
  id: string
  settings: Settings
  resultsDir: string
  teacher: ModelSpec
  students: ModelSpec[]
  train: Goal[]
  holdout: Goal[]
  /** Every goal a skill must not leak (train, holdout and the project's). */
  corpus: Goal[]
  samples: number
  offer: 'all' | 'select'
  metric: MetricName
  margin: number
  revalidateEvery: number
  maxSkillTokens: number
  final: 'fresh' | 'reuse'
  proposalAttempts: number
  startLibrary: string
  stop: StopRules
  client: ModelClient
  evaluate: Evaluator
  keeper: Keeper
  log: (line: string) => void
  /** Tests: screen without the Python stages (names and code). */
  skipPython?: boolean
}

/** What identifies a study: the same inputs resume it (stop rules may change between runs). */
export const StudyInputsSchema = z
  .object({
    schema: z.literal('skilldelta.improve-study/1'),
    id: z.string(),
    teacher: z.string(),
    students: z.array(z.string()),
    train: z.array(z.string()),
    holdout: z.array(z.string()),
    start: z.string(),
    samples: z.number().int(),
    offer: z.enum(['all', 'select']),
    metric: z.string(),
    margin: z.number(),
    revalidateEvery: z.number().int(),
    maxSkillTokens: z.number().int(),
    final: z.enum(['fresh', 'reuse']),
  })
  .strict()
export type StudyInputs = z.infer<typeof StudyInputsSchema>

interface State {
  champion: string
  validated: string
  floors: Floors
  aa: boolean
  iterations: number
  accepted: number
  revalidations: number
  consecutive: number
  tokens: number
  seconds: number
  targeted: Map<string, number>
  history: string[]
  runs: string[]
  /** The champion's holdout means per student, from the row that accepted it. */
  holdout?: DeltaCell[]
  revalidationDue: boolean
  stopped?: string
  final?: Final
}

const isRow = (entry: Entry): entry is Row => entry.kind !== 'stop' && entry.kind !== 'final'

function replay(entries: Entry[], start: string, every: number): State {
  const state: State = {
    champion: start,
    validated: start,
    floors: {},
    aa: false,
    iterations: 0,
    accepted: 0,
    revalidations: 0,
    consecutive: 0,
    tokens: 0,
    seconds: 0,
    targeted: new Map(),
    history: [],
    runs: [],
    revalidationDue: false,
  }
  for (const entry of entries) {
    if (entry.kind === 'stop') state.stopped = entry.reason
    if (entry.kind === 'final') state.final = entry
    if (!isRow(entry)) continue
    state.tokens +=
      entry.teacher.tokensIn + entry.teacher.tokensOut + entry.students.tokensIn + entry.students.tokensOut
    state.seconds += entry.wallSeconds
    state.runs.push(...entry.runs)
    state.champion = entry.champion
    state.revalidationDue = false
    if (entry.kind === 'aa') {
      state.aa = true
      state.floors = Object.fromEntries(
        Object.entries(entry.floors).map(([s, f]) => [s, f ?? Number.POSITIVE_INFINITY]),
      )
      continue
    }
    if (entry.kind === 'revalidation') {
      state.revalidations += 1
      state.validated = entry.champion
      continue
    }
    state.iterations += 1
    if (entry.cluster) state.targeted.set(entry.cluster, (state.targeted.get(entry.cluster) ?? 0) + 1)
    state.history.push(historyLine(entry))
    if (entry.decision === 'accepted') {
      state.accepted += 1
      state.consecutive = 0
      state.holdout = entry.holdout
      state.revalidationDue = every > 0 && state.accepted % every === 0
    } else state.consecutive += 1
  }
  return state
}

/** What the teacher is told about an earlier proposal: train-side facts only (the holdout stays unseen). */
function historyLine(row: Row): string {
  const what = row.skill ? `${row.change} ${row.skill}` : 'no valid proposal'
  const cluster = row.clusterTitle ? ` for "${row.clusterTitle}"` : ''
  const outcome =
    row.decision === 'refused' || row.decision === 'invalid'
      ? row.screen
      : `train Δ ${formatCells(row.train, [])}: ` +
        (row.decision === 'rejected' ? 'did not clear the bar' : 'cleared the train bar')
  return `- proposal ${row.iteration} (${what}${cluster}): ${outcome}`
}

const emptySpend = (): Spend => ({ tokensIn: 0, tokensOut: 0, cost: null })

function addSpend(spend: Spend, model: ModelSpec, tokensIn: number, tokensOut: number): Spend {
  const cost = costOf(model, tokensIn, tokensOut)
  return {
    tokensIn: spend.tokensIn + tokensIn,
    tokensOut: spend.tokensOut + tokensOut,
    cost: cost === null ? spend.cost : (spend.cost ?? 0) + cost,
  }
}

export interface StudyResult {
  final: Final
  entries: Entry[]
  dir: string
}

export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  const study = new Study(options)
  return study.run()
}

class Study {
  private readonly dir: string
  private readonly libraries: string
  private readonly names: string[]
  private start!: Library
  private budgets: Record<string, number> = {}

  constructor(private readonly o: StudyOptions) {
    this.dir = path.join(o.resultsDir, o.id)
    this.libraries = path.join(this.dir, 'libraries')
    this.names = o.students.map((s) => s.name)
  }

  private library(hash: string): Library {
    return { hash, dir: path.join(this.libraries, hash) }
  }

  private rel(file: string): string {
    return path.relative(this.o.settings.root, file).split(path.sep).join('/')
  }

  async run(): Promise<StudyResult> {
    const o = this.o
    await mkdir(this.dir, { recursive: true })
    this.start = await snapshot(o.startLibrary, this.libraries)
    await this.checkInputs()
    this.budgets = this.skillBudgets()
    let entries = await readLedger(this.dir)
    let state = replay(entries, this.start.hash, o.revalidateEvery)
    if (state.final) return { final: state.final, entries, dir: this.dir }
    await this.keepChampion(entries)
    if (!state.aa) await this.append(await this.noiseFloor())
    for (;;) {
      entries = await readLedger(this.dir)
      state = replay(entries, this.start.hash, o.revalidateEvery)
      if (state.stopped) break
      if (state.revalidationDue) {
        await this.append(await this.revalidation(state))
        continue
      }
      const stop = this.stopReason(state)
      if (stop) {
        await this.append({ schema: 'skilldelta.improve/1', kind: 'stop', reason: stop, at: new Date().toISOString() })
        break
      }
      const row = await this.iteration(state)
      if (row) await this.append(row)
      else {
        const reason = 'the champion fails no train trial: nothing left to fix'
        await this.append({ schema: 'skilldelta.improve/1', kind: 'stop', reason, at: new Date().toISOString() })
        break
      }
    }
    entries = await readLedger(this.dir)
    state = replay(entries, this.start.hash, o.revalidateEvery)
    o.log(`stopped: ${state.stopped}`)
    const final = await this.final(state)
    await this.append(final)
    return { final, entries: await readLedger(this.dir), dir: this.dir }
  }

  private inputs(): StudyInputs {
    const o = this.o
    return {
      schema: 'skilldelta.improve-study/1',
      id: o.id,
      teacher: o.teacher.name,
      students: this.names,
      train: o.train.map((g) => g.id),
      holdout: o.holdout.map((g) => g.id),
      start: this.start.hash,
      samples: o.samples,
      offer: o.offer,
      metric: o.metric,
      margin: o.margin,
      revalidateEvery: o.revalidateEvery,
      maxSkillTokens: o.maxSkillTokens,
      final: o.final,
    }
  }

  /** A study resumes only with the inputs it started with (a different study needs another --id). */
  private async checkInputs(): Promise<void> {
    const file = path.join(this.dir, 'study.json')
    const inputs = this.inputs()
    if (existsSync(file)) {
      const known = StudyInputsSchema.parse(JSON.parse(await readFile(file, 'utf8')))
      const differs = (Object.keys(inputs) as (keyof StudyInputs)[]).filter(
        (key) => JSON.stringify(known[key]) !== JSON.stringify(inputs[key]),
      )
      if (differs.length)
        throw new Error(
          `${this.rel(file)} is a study with other inputs (${differs.join(', ')} differ): ` +
            'resume it with the same command, or give this one another --id',
        )
      return
    }
    await writeFile(file, `${JSON.stringify(inputs, null, 2)}\n`)
  }

  /** Each student's skill budget: the smallest over the study's goals (the prompt's own size varies by goal). */
  private skillBudgets(): Record<string, number> {
    const o = this.o
    const condition: Condition = { name: 'budget', skills: 'all', skillsDir: this.start.dir }
    return Object.fromEntries(
      o.students.map((student) => {
        const budgets = [...o.train, ...o.holdout].map((goal) => {
          const plan = planPrompt(goal, condition, o.settings, student)
          return plan.skillBudgetTokens < 0 ? Number.POSITIVE_INFINITY : plan.skillBudgetTokens
        })
        return [student.name, Math.min(...budgets)]
      }),
    )
  }

  private async append(entry: Entry): Promise<void> {
    await appendEntry(this.dir, entry, this.names)
    if (isRow(entry)) {
      this.o.log(this.describe(entry))
      if (entry.decision === 'accepted' || entry.decision === 'unvalidated') await this.keepChampion([entry])
    }
  }

  private describe(row: Row): string {
    const train = formatCells(row.train, this.names)
    const holdout = formatCells(row.holdout, this.names)
    const what = row.kind === 'aa' ? 'A/A noise floor' : row.kind === 'revalidation' ? 're-validation' : row.skill
    return (
      `[improve] ${row.kind === 'aa' ? 0 : row.iteration} ${what}: ${row.decision}` +
      (row.screen && row.kind === 'proposal' ? ` (screen: ${row.screen})` : '') +
      (train ? `; train Δ ${train}` : '') +
      (holdout ? `; holdout Δ ${holdout}` : '') +
      `; ${row.reason}`
    )
  }

  /**
   * The latest library that became champion is committed (or snapshotted): idempotent, so a resumed
   * study catches up.
   */
  private async keepChampion(entries: Entry[]): Promise<void> {
    const last = entries.filter(isRow).findLast((r) => r.decision === 'accepted' || r.decision === 'unvalidated')
    if (!last) return
    const subject =
      `skilldelta improve ${this.o.id}: ${last.kind} ${last.iteration} ${last.decision}` +
      `${last.skill ? ` ${last.skill}` : ''} → library ${last.champion}`
    const body = renderTsv([last], this.names).trimEnd()
    await this.o.keeper.keep(this.library(last.champion).dir, subject, body)
  }

  /** Per student: Δ of `candidate` over `champion`, paired by goal, from an evaluation's records. */
  private deltas(records: TrialRecord[], champion: string, candidate: string, goals: Set<string>): StudentDelta[] {
    const score = METRICS[this.o.metric].score
    return this.names.map((student) => {
      const arm = (name: string) => {
        const map = new Map<string, TrialScore[]>()
        for (const r of records) {
          if (r.model.name !== student || r.condition !== name || !goals.has(r.goal.id)) continue
          const value = score(r)
          if (value === undefined) continue
          map.set(r.goal.id, [...(map.get(r.goal.id) ?? []), value])
        }
        return map
      }
      return { student, delta: pairedDelta(arm(candidate), arm(champion), { convention: 'failures_as_zero' }) }
    })
  }

  /** What the students spent in a run: the trials generated for it (not those restored from earlier runs). */
  private studentSpend(records: TrialRecord[], runId: string, spend = emptySpend()): Spend {
    let total = spend
    for (const r of records) {
      const fresh = r.cache?.trial !== 'hit' || r.cache.from === runId
      const model = this.o.students.find((s) => s.name === r.model.name)
      if (!fresh || !model || !r.generation) continue
      total = addSpend(total, model, r.generation.tokensIn ?? 0, r.generation.tokensOut ?? 0)
    }
    return total
  }

  private async evaluate(runId: string, goals: Goal[], arms: EvaluationArm[]): Promise<TrialRecord[]> {
    this.o.log(`[improve] evaluating ${runId}: ${arms.map((a) => a.name).join(' vs ')} on ${goals.length} goal(s)`)
    return this.o.evaluate({
      runId,
      goals: goals.map((g) => this.rel(g.file)),
      arms: arms.map((a) => ({ ...a, library: this.rel(a.library) })),
      samples: this.o.samples,
    })
  }

  private arm(library: Library, block: number, aa = false): EvaluationArm {
    return { name: armName(library, block, aa), library: library.dir, firstSample: block * this.o.samples }
  }

  private baseRow(kind: Row['kind'], iteration: number, parent: Library): Row {
    const tokens = libraryTokens(parent.dir, this.o.settings.skills.maxBytes).total
    return {
      schema: 'skilldelta.improve/1',
      kind,
      iteration,
      parent: parent.hash,
      candidate: parent.hash,
      champion: parent.hash,
      skill: '',
      change: '',
      cluster: '',
      clusterTitle: '',
      screen: '',
      train: [],
      holdout: [],
      floors: {},
      decision: 'rejected',
      reason: '',
      libraryTokens: tokens,
      parentTokens: tokens,
      teacher: emptySpend(),
      students: emptySpend(),
      wallSeconds: 0,
      runs: [],
      at: '',
    }
  }

  private finish(row: Row, started: number, floors: Floors): Row {
    return {
      ...row,
      floors: Object.fromEntries(this.names.map((s) => [s, Number.isFinite(floors[s]) ? floors[s]! : null])),
      wallSeconds: (performance.now() - started) / 1000,
      at: new Date().toISOString(),
    }
  }

  /** A/A: the start library against itself on fresh samples; the floor is the larger end of each student's interval. */
  private async noiseFloor(): Promise<Row> {
    const started = performance.now()
    const runId = `${this.o.id}.aa`
    const a = this.arm(this.start, 0)
    const b = this.arm(this.start, 1, true)
    const records = await this.evaluate(runId, this.o.train, [a, b])
    const deltas = this.deltas(records, a.name, b.name, new Set(this.o.train.map((g) => g.id)))
    const floors = Object.fromEntries(deltas.map((d) => [d.student, noiseFloor(d.delta)]))
    return this.finish(
      {
        ...this.baseRow('aa', 0, this.start),
        screen: 'A/A',
        train: deltas.flatMap((d) => (d.delta ? [deltaCell(d.student, d.delta)] : [])),
        decision: 'floor',
        reason: `the start library against itself on fresh samples ${this.o.samples}–${2 * this.o.samples - 1}`,
        students: this.studentSpend(records, runId),
        runs: [runId],
      },
      started,
      floors,
    )
  }

  /** The champion's failures on the train goals (its first samples), from every run of the study so far. */
  private async championFailures(state: State, iteration: number): Promise<FailureCluster[]> {
    const name = armName(this.library(state.champion))
    const train = new Set(this.o.train.map((g) => g.id))
    const { records } = await readRecordFiles(
      [...new Set(state.runs)].map((run) => recordsFile(this.o.resultsDir, run)),
    )
    const seen = new Set<string>()
    const mine = records.filter((r) => {
      const key = `${r.model.name} ${r.goal.id} ${r.sample}`
      if (r.condition !== name || !train.has(r.goal.id) || seen.has(key)) return false
      seen.add(key)
      return true
    })
    const failures = await analyzeFailures(mine, {
      runId: `${this.o.id} champion ${state.champion}`,
      root: this.o.settings.root,
    })
    const where = path.join(this.dir, 'iterations', String(iteration))
    await writeFailures(where, failures, this.o.settings.root)
    return failures.clusters
  }

  private async iteration(state: State): Promise<Row | undefined> {
    const o = this.o
    const started = performance.now()
    const iteration = state.iterations + 1
    const champion = this.library(state.champion)
    const clusters = await this.championFailures(state, iteration)
    if (clusters.length === 0) return undefined
    // the cluster targeted least so far, the largest first
    const cluster = [...clusters].sort(
      (a, b) => (state.targeted.get(a.id) ?? 0) - (state.targeted.get(b.id) ?? 0) || b.trials - a.trials,
    )[0]!
    const where = path.join(this.dir, 'iterations', String(iteration))
    const row: Row = {
      ...this.baseRow('proposal', iteration, champion),
      cluster: cluster.id,
      clusterTitle: cluster.title,
    }
    const proposed = await propose({
      teacher: o.teacher,
      client: o.client,
      attempts: o.proposalAttempts,
      dir: where,
      context: {
        iteration,
        cluster,
        goalTitles: Object.fromEntries(o.train.map((g) => [g.id, g.title])),
        library: champion.dir,
        history: state.history,
        skillTokens: o.maxSkillTokens,
      },
    })
    row.teacher = addSpend(emptySpend(), o.teacher, proposed.tokensIn, proposed.tokensOut)
    if (!proposed.outcome.ok) {
      const reason = `no valid proposal in ${proposed.attempts} attempt(s): ${proposed.outcome.problem}`
      return this.finish({ ...row, decision: 'invalid', screen: 'invalid proposal', reason }, started, state.floors)
    }
    const { proposal, file, text } = proposed.outcome
    row.skill = proposal.skill
    row.change = proposal.action
    await writeFile(path.join(where, 'proposal.json'), `${JSON.stringify(proposal, null, 2)}\n`)

    // the candidate: the champion with the one file changed, snapshotted by its content
    const work = path.join(this.dir, 'work', `iteration-${iteration}`)
    await rm(work, { recursive: true, force: true })
    await cp(champion.dir, work, { recursive: true })
    const target = path.join(work, path.relative(champion.dir, file))
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, text)
    const candidate = await snapshot(work, this.libraries, true)
    row.candidate = candidate.hash
    const championTokens = row.parentTokens
    row.libraryTokens = libraryTokens(candidate.dir, o.settings.skills.maxBytes).total
    if (candidate.hash === champion.hash) {
      return this.finish(
        {
          ...row,
          decision: 'refused',
          screen: 'refused (no change)',
          reason: 'the change leaves the library as it was',
        },
        started,
        state.floors,
      )
    }
    const screened = await screen({
      library: candidate.dir,
      skill: proposal.skill,
      settings: o.settings,
      maxSkillTokens: o.maxSkillTokens,
      budgets: this.budgets,
      championTokens,
      corpus: leakCorpus(o.corpus, o.settings.oraclesDir),
      work: path.join(this.dir, 'work', `screen-${iteration}`),
      ...(o.skipPython ? { skipPython: true } : {}),
    })
    await writeFile(path.join(where, 'screen.json'), `${JSON.stringify(screened, null, 2)}\n`)
    if (!screened.ok) {
      return this.finish(
        { ...row, decision: 'refused', screen: `refused (${screened.stage})`, reason: screened.reason },
        started,
        state.floors,
      )
    }
    row.screen = 'passed'

    const trainRun = `${o.id}.i${iteration}.train`
    const a = this.arm(champion, 0)
    const b = this.arm(candidate, 0)
    const trainRecords = await this.evaluate(trainRun, o.train, [a, b])
    const train = this.deltas(trainRecords, a.name, b.name, new Set(o.train.map((g) => g.id)))
    row.train = train.flatMap((d) => (d.delta ? [deltaCell(d.student, d.delta)] : []))
    row.students = this.studentSpend(trainRecords, trainRun)
    row.runs = [trainRun]
    const decided = decideTrain(train, state.floors, { margin: o.margin, smaller: row.libraryTokens < championTokens })
    if (decided.verdict === 'reject')
      return this.finish({ ...row, decision: 'rejected', reason: decided.reason }, started, state.floors)

    const holdoutRun = `${o.id}.i${iteration}.holdout`
    const holdoutRecords = await this.evaluate(holdoutRun, o.holdout, [a, b])
    const holdout = this.deltas(holdoutRecords, a.name, b.name, new Set(o.holdout.map((g) => g.id)))
    row.holdout = holdout.flatMap((d) => (d.delta ? [deltaCell(d.student, d.delta)] : []))
    row.students = this.studentSpend(holdoutRecords, holdoutRun, row.students)
    row.runs.push(holdoutRun)
    const confirmed = confirmHoldout(holdout, state.floors, {
      margin: o.margin,
      kind: decided.verdict,
      helped: decided.helped,
    })
    const kind = decided.verdict === 'simpler' ? 'a simpler library' : 'a gain'
    return this.finish(
      confirmed.holds
        ? {
            ...row,
            decision: 'accepted',
            champion: candidate.hash,
            reason: `${kind} on train (${decided.reason}); ${confirmed.reason}`,
          }
        : { ...row, decision: 'reverted', reason: `${kind} on train (${decided.reason}); ${confirmed.reason}` },
      started,
      state.floors,
    )
  }

  /** Fresh samples for both: the champion against the last validated library (winner's curse). */
  private async revalidation(state: State): Promise<Row> {
    const started = performance.now()
    const block = 2 + state.revalidations
    const runId = `${this.o.id}.r${state.revalidations + 1}`
    const validated = this.library(state.validated)
    const champion = this.library(state.champion)
    const a = this.arm(validated, block)
    const b = this.arm(champion, block)
    const records = await this.evaluate(runId, this.o.train, [a, b])
    const deltas = this.deltas(records, a.name, b.name, new Set(this.o.train.map((g) => g.id)))
    const verdict = revalidate(deltas, this.o.margin)
    return this.finish(
      {
        ...this.baseRow('revalidation', state.iterations, validated),
        candidate: champion.hash,
        libraryTokens: libraryTokens(champion.dir, this.o.settings.skills.maxBytes).total,
        champion: verdict.kept ? champion.hash : validated.hash,
        screen: `fresh samples ${block * this.o.samples}–${(block + 1) * this.o.samples - 1}`,
        train: deltas.flatMap((d) => (d.delta ? [deltaCell(d.student, d.delta)] : [])),
        decision: verdict.kept ? 'validated' : 'unvalidated',
        reason: verdict.kept ? verdict.reason : `${verdict.reason}: back to library ${validated.hash}`,
        students: this.studentSpend(records, runId),
        runs: [runId],
      },
      started,
      state.floors,
    )
  }

  private stopReason(state: State): string | undefined {
    const { stop } = this.o
    if (stop.iterations !== undefined && state.iterations >= stop.iterations)
      return `the budget of ${stop.iterations} iteration(s) is spent`
    if (stop.tokens !== undefined && state.tokens >= stop.tokens)
      return `the budget of ${stop.tokens} tokens is spent (${state.tokens})`
    if (stop.minutes !== undefined && state.seconds / 60 >= stop.minutes)
      return `the budget of ${stop.minutes} minute(s) is spent (${(state.seconds / 60).toFixed(1)})`
    if (state.consecutive >= stop.patience) return `${state.consecutive} consecutive rejections`
    if (
      stop.target !== undefined &&
      state.holdout &&
      this.names.every((s) => (state.holdout!.find((c) => c.student === s)?.candidate ?? -Infinity) >= stop.target!)
    )
      return `the champion's holdout score reached the target ${stop.target}`
    return undefined
  }

  /** Start vs end library on train and holdout, per student: on fresh samples unless told to reuse. */
  private async final(state: State): Promise<Final> {
    const o = this.o
    const end = this.library(state.champion)
    const diff = libraryDiff(this.start.dir, end.dir)
    const base = {
      schema: 'skilldelta.improve/1' as const,
      kind: 'final' as const,
      start: this.start.hash,
      end: end.hash,
      startTokens: libraryTokens(this.start.dir, o.settings.skills.maxBytes).total,
      endTokens: libraryTokens(end.dir, o.settings.skills.maxBytes).total,
      ...diff,
      at: new Date().toISOString(),
    }
    if (end.hash === this.start.hash) return { ...base, samples: 'none', rows: [], runs: [] }
    const block = o.final === 'fresh' ? 2 + state.revalidations : 0
    const runId = `${o.id}.final`
    const a = this.arm(this.start, block)
    const b = this.arm(end, block)
    const records = await this.evaluate(runId, [...o.train, ...o.holdout], [a, b])
    const rows: Final['rows'] = []
    for (const [set, goals] of [
      ['train', o.train],
      ['holdout', o.holdout],
    ] as const) {
      for (const d of this.deltas(records, a.name, b.name, new Set(goals.map((g) => g.id))))
        rows.push({ student: d.student, set, cell: d.delta ? deltaCell(d.student, d.delta) : null })
    }
    return { ...base, samples: o.final, rows, runs: [runId] }
  }
}
