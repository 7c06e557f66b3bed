import { JUDGE_DIMENSIONS } from '../judge/subject.ts'
import type { CheckOutcome, TrialRecord } from '../results/schema.ts'
import { fixed, markdownTable, terminalTable } from './table.ts'
import { cellMean, pairedDelta, successRate, type PairedDelta, type TrialScore } from './stats.ts'

/**
 * The skill Δ ablation tables, computed from trial records only (nothing typed by hand).
 * A trial's score under a metric is a number or a status:
 *  - 'infra': infra_error (and, for judge metrics, judge_error or no judgement) — excluded everywhere;
 *  - 'failed': no notebook was produced (generation_failed) — 0 under "failures as 0";
 *  - a number: the share of objective checks passed (executes, PSD, signal, …), or the judge's
 *    score on 1–5 (the harness's mean of the dimensions, or one dimension).
 */

/** The check kind says whether it is objective; records written before kinds were recorded: all but the judge's. */
const isObjective = (id: string, check: CheckOutcome): boolean => check.objective ?? id !== 'judge_score'

export function objectiveScore(record: TrialRecord): TrialScore {
  if (record.status === 'infra_error') return 'infra'
  if (record.status === 'generation_failed' || record.status === 'pending') return 'failed'
  const objective = Object.entries(record.checks).filter(
    ([id, check]) => isObjective(id, check) && check.status !== 'skip',
  )
  if (objective.length === 0) return 'failed'
  return objective.filter(([, check]) => check.status === 'pass').length / objective.length
}

/**
 * The judge's mean (1–5), or one dimension's score. Undefined — not applicable, left out of the
 * judge tables — when the goal has no judge check or no judge graded this run; a judge failure
 * is nobody's score ('infra'); no notebook is 'failed'.
 */
export function judgeScore(
  dimension?: (typeof JUDGE_DIMENSIONS)[number],
): (record: TrialRecord) => TrialScore | undefined {
  return (record) => {
    const check = record.checks.judge_score
    if (!check || check.status === 'skip') return undefined
    // a failed judgement (any kind) is reported apart, like an infrastructure failure
    if (record.status === 'infra_error' || record.status === 'judge_error' || record.judge?.status === 'error')
      return 'infra'
    if (record.status === 'generation_failed' || record.status === 'pending') return 'failed'
    const judged =
      record.judge?.status === 'ok' ? (dimension ? record.judge.scores?.[dimension] : record.judge.mean) : undefined
    return judged ?? 'infra'
  }
}

/** The metrics a report (and the gate) can use, by name. */
export const METRICS = {
  objective: { label: 'objective checks passed (share)', score: objectiveScore, max: 1 },
  judge: { label: 'judge score (mean of 4 dimensions, 1–5)', score: judgeScore(), max: 5 },
} as const
export type MetricName = keyof typeof METRICS

interface AblationRow {
  model: string
  params: number | null
  condition: string
  goals: number
  trials: number
  infra: number
  /** Share of trials (infra excluded) that produced a notebook the harness executed. */
  successRate: number | undefined
  /** Share of trials (infra excluded) whose notebook ran every cell without error. */
  executedRate: number | undefined
  meanSuccesses: number | undefined
  meanFailuresZero: number | undefined
  /** Δ vs the baseline condition, failures counted as 0 (the headline). */
  delta?: PairedDelta
  /** Δ vs the baseline condition, over successful trials only. */
  deltaSuccesses?: PairedDelta
  /** Normalised gain (with − without) / (max − without), failures as 0, over the paired goals. */
  gain?: number
}

interface Ablation {
  metric: string
  baseline: string
  rows: AblationRow[]
}

type GoalScores = Map<string, TrialScore[]>

const average = (values: (number | undefined)[]): number | undefined => {
  const present = values.filter((v): v is number => v !== undefined)
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : undefined
}

export function buildAblation(
  records: TrialRecord[],
  baseline = 'zero_shot',
  score: (r: TrialRecord) => TrialScore | undefined = objectiveScore,
  metric: string = METRICS.objective.label,
  /** The best possible score under this metric (for the normalised gain). */
  maxScore: number = METRICS.objective.max,
): Ablation {
  const cells = new Map<string, Map<string, GoalScores>>() // model → condition → goal → scores
  const params = new Map<string, number | null>()
  const ran = new Map<string, boolean[]>() // model · condition → executed cleanly, per counted trial
  for (const record of records) {
    const value = score(record)
    if (value === undefined) continue // this metric does not apply to the trial
    params.set(record.model.name, record.model.params)
    if (record.status !== 'infra_error') {
      const key = `${record.model.name}\u0000${record.condition}`
      ran.set(key, [...(ran.get(key) ?? []), record.execution?.status === 'ok'])
    }
    const byCondition = cells.get(record.model.name) ?? new Map<string, GoalScores>()
    const byGoal = byCondition.get(record.condition) ?? new Map<string, TrialScore[]>()
    byGoal.set(record.goal.id, [...(byGoal.get(record.goal.id) ?? []), value])
    byCondition.set(record.condition, byGoal)
    cells.set(record.model.name, byCondition)
  }
  const rows: AblationRow[] = []
  for (const [model, byCondition] of [...cells].sort(([a], [b]) => a.localeCompare(b))) {
    const base = byCondition.get(baseline)
    const conditions = [...byCondition.keys()].sort(
      (a, b) => Number(b === baseline) - Number(a === baseline) || a.localeCompare(b),
    )
    for (const condition of conditions) {
      const byGoal = byCondition.get(condition)!
      const all = [...byGoal.values()].flat()
      const row: AblationRow = {
        model,
        params: params.get(model) ?? null,
        condition,
        goals: byGoal.size,
        trials: all.length,
        infra: all.filter((s) => s === 'infra').length,
        successRate: successRate(all),
        executedRate: rate(ran.get(`${model}\u0000${condition}`) ?? []),
        // goals are the units: average within a goal, then across goals
        meanSuccesses: average([...byGoal.values()].map((s) => cellMean(s, 'successes'))),
        meanFailuresZero: average([...byGoal.values()].map((s) => cellMean(s, 'failures_as_zero'))),
      }
      if (base && condition !== baseline) {
        const delta = pairedDelta(byGoal, base, { convention: 'failures_as_zero' })
        const deltaSuccesses = pairedDelta(byGoal, base, { convention: 'successes' })
        if (delta) row.delta = delta
        // normalised gain (SkillsBench): how much of the headroom left by the baseline the skills closed
        if (delta && delta.meanWithout < maxScore) row.gain = delta.delta / (maxScore - delta.meanWithout)
        if (deltaSuccesses) row.deltaSuccesses = deltaSuccesses
      }
      rows.push(row)
    }
  }
  return { metric, baseline, rows }
}

const rate = (flags: boolean[]): number | undefined =>
  flags.length ? flags.filter(Boolean).length / flags.length : undefined

/** Everything the reporter prints and writes: the objective table, and the judge's when a judge scored. */
interface AblationReport extends Ablation {
  judge?: Ablation
  /** One ablation per judge dimension. */
  dimensions?: Record<string, Ablation>
  /** Trials whose judgement failed (judge_error): reported apart, never scored. */
  judgeErrors: number
  /** Trials that started and never finished (an interrupted run): listed, never scored. */
  unfinished: { model: string; condition: string; goal: string; sample: number }[]
}

export function buildReport(
  records: TrialRecord[],
  baseline = 'zero_shot',
  unfinished: TrialRecord[] = [],
): AblationReport {
  const report: AblationReport = {
    ...buildAblation(records, baseline),
    judgeErrors: records.filter((r) => r.judge?.status === 'error').length,
    unfinished: unfinished.map((r) => ({
      model: r.model.name,
      condition: r.condition,
      goal: r.goal.id,
      sample: r.sample,
    })),
  }
  if (records.some((r) => r.judge?.status === 'ok')) {
    report.judge = buildAblation(records, baseline, METRICS.judge.score, METRICS.judge.label, METRICS.judge.max)
    report.dimensions = Object.fromEntries(
      JUDGE_DIMENSIONS.map((d) => [
        d,
        buildAblation(records, baseline, judgeScore(d), `judge ${d} (1–5)`, METRICS.judge.max),
      ]),
    )
  }
  return report
}

const percent = (value: number | undefined): string => (value === undefined ? '—' : `${Math.round(value * 100)}%`)
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`
const humanParams = (params: number | null): string =>
  params === null
    ? '—'
    : params >= 1e12
      ? `${params / 1e12}T`
      : params >= 1e9
        ? `${+(params / 1e9).toFixed(1)}B`
        : `${+(params / 1e6).toFixed(0)}M`

function ablationTable(ablation: Ablation): string[][] {
  const header = [
    'Model',
    'Params',
    'Condition',
    'Goals',
    'Produced',
    'Ran OK',
    'Infra',
    'Mean (fail=0)',
    'Mean (successes)',
    `Δ vs ${ablation.baseline} [95% CI]`,
    'MDE',
    'Gain',
  ]
  const body = ablation.rows.map((r) => [
    r.model,
    humanParams(r.params),
    r.condition,
    String(r.goals),
    percent(r.successRate),
    percent(r.executedRate),
    String(r.infra),
    fixed(r.meanFailuresZero),
    fixed(r.meanSuccesses),
    r.delta
      ? `${signed(r.delta.delta)} [${signed(r.delta.ci[0])}, ${signed(r.delta.ci[1])}]`
      : r.condition === ablation.baseline
        ? '(baseline)'
        : '—',
    r.delta ? fixed(r.delta.mde) : '',
    r.gain === undefined ? '' : fixed(r.gain),
  ])
  return [header, ...body]
}

/** Per dimension: mean over judged notebooks and its Δ vs the baseline condition (same convention). */
function dimensionTable(report: AblationReport): string[][] {
  const dimensions = Object.entries(report.dimensions ?? {})
  const first = dimensions[0]?.[1]
  if (!first) return []
  const header = ['Model', 'Condition', ...dimensions.map(([name]) => name)]
  const body = first.rows.map((row, index) => [
    row.model,
    row.condition,
    ...dimensions.map(([, ablation]) => {
      const r = ablation.rows[index]!
      const delta = r.deltaSuccesses
      const change = delta ? ` (Δ ${signed(delta.delta)} [${signed(delta.ci[0])}, ${signed(delta.ci[1])}])` : ''
      return `${fixed(r.meanSuccesses)}${change}`
    }),
  ])
  return [header, ...body]
}

const METHOD = [
  'Δ is paired by goal (samples averaged within a goal), failures counted as 0, with a 95% bootstrap CI over goals',
  '(expanded percentile); MDE at α = 0.05, power 0.8; Gain = Δ / (max − baseline mean), the share of the headroom',
  'closed. Infrastructure failures are excluded.',
].join(' ')

/** Trials that never finished are listed: a silent gap would bias every mean. */
function unfinishedNote(report: Partial<AblationReport>): string | undefined {
  const list = report.unfinished ?? []
  if (list.length === 0) return undefined
  const shown = list.slice(0, 10).map((u) => `${u.model} · ${u.condition} · ${u.goal} · sample ${u.sample}`)
  const more = list.length > shown.length ? `, and ${list.length - shown.length} more` : ''
  return (
    `UNFINISHED: ${list.length} trial(s) started but never finished (the run was interrupted); ` +
    `they are not in the tables: ${shown.join('; ')}${more}`
  )
}

export function formatTerminal(ablation: Ablation | AblationReport): string {
  const parts = [`score: ${ablation.metric}`, terminalTable(ablationTable(ablation))]
  const report = ablation as Partial<AblationReport>
  if (report.judge) parts.push('', `score: ${report.judge.metric}`, terminalTable(ablationTable(report.judge)))
  if (report.dimensions)
    parts.push(
      '',
      'judge dimensions: mean over judged notebooks (Δ vs baseline, successes only)',
      terminalTable(dimensionTable(report as AblationReport)),
    )
  if (report.judgeErrors)
    parts.push(
      '',
      `judge errors: ${report.judgeErrors} trial(s) could not be judged (judge_error); ` +
        'they are excluded from the judge tables',
    )
  const unfinished = unfinishedNote(report)
  if (unfinished) parts.push('', unfinished)
  parts.push('', `Δ paired by goal, failures counted as 0, bootstrap CI over goals; infra failures excluded`)
  return parts.join('\n')
}

export function formatMarkdown(ablation: Ablation | AblationReport): string {
  const report = ablation as Partial<AblationReport>
  const parts = [`**Score: ${ablation.metric}**`, '', markdownTable(ablationTable(ablation))]
  if (report.judge)
    parts.push(
      '',
      `**Score: ${report.judge.metric}** (independent judge)`,
      '',
      markdownTable(ablationTable(report.judge)),
    )
  if (report.dimensions) {
    parts.push(
      '',
      '**Judge dimensions**: mean over judged notebooks (Δ vs baseline over successes, 95% CI)',
      '',
      markdownTable(dimensionTable(report as AblationReport)),
    )
  }
  if (report.judgeErrors)
    parts.push(
      '',
      `Judge errors: ${report.judgeErrors} trial(s) could not be judged (judge_error) ` +
        'and are excluded from the judge tables.',
    )
  const unfinished = unfinishedNote(report)
  if (unfinished) parts.push('', `**${unfinished}**`)
  parts.push('', METHOD)
  return parts.join('\n')
}

/** Per-goal means (failures as 0) for every model × condition: where the Δ comes from. */
export function perGoalMarkdown(
  records: TrialRecord[],
  score: (r: TrialRecord) => TrialScore | undefined = objectiveScore,
): string {
  const columns = [...new Set(records.map((r) => `${r.model.name} · ${r.condition}`))].sort()
  const goals = [...new Set(records.map((r) => r.goal.id))].sort()
  const cell = (goal: string, column: string) => {
    const samples = records
      .filter((r) => r.goal.id === goal && `${r.model.name} · ${r.condition}` === column)
      .flatMap((r) => score(r) ?? [])
    return fixed(cellMean(samples, 'failures_as_zero'))
  }
  return markdownTable([['Goal', ...columns], ...goals.map((g) => [g, ...columns.map((c) => cell(g, c))])])
}
