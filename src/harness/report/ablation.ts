import { JUDGE_DIMENSIONS } from '../judge/subject.ts'
import type { TrialView } from '../results/schema.ts'
import { groupRecords, sortedCells } from './cells.ts'
import { formatGridMarkdown, buildGrid } from './grid.ts'
import { buildHeadline, formatHeadlineMarkdown, formatHeadlineTerminal } from './headline.ts'
import { ABLATION_SCHEMA, type Ablation, type AblationReport, type AblationRow } from './schema.ts'
import { cellMean, holm, meanInterval, pairedDelta, successRate, type TrialScore } from './stats.ts'
import {
  fixed,
  humanParams,
  markdownTable,
  percent,
  pValue,
  samplesPerCell,
  terminalTable,
  withInterval,
} from './table.ts'
import { buildTelemetry, formatTelemetryMarkdown, formatTelemetryTerminal } from './telemetry.ts'

/**
 * The skill Δ ablation tables, computed from trial records only (nothing typed by hand).
 * A trial's score under a metric is a number or a status:
 *  - 'infra': infra_error (and, for judge metrics, judge_error or no judgement) — excluded everywhere;
 *  - 'failed': no notebook was produced (generation_failed) — 0 under "failures as 0";
 *  - a number: the share of objective checks passed (executes, PSD, signal, …), or the judge's
 *    score on 1–5 (the harness's mean of the dimensions, or one dimension).
 */

/** The check kind says whether it is objective; records written before kinds were recorded: all but the judge's. */
const isObjective = (id: string, check: TrialView['checks'][string]): boolean => check.objective ?? id !== 'judge_score'

export function objectiveScore(record: TrialView): TrialScore {
  if (record.status === 'infra_error') return 'infra'
  if (record.status === 'generation_failed' || record.status === 'pending') return 'failed'
  // a loop, not entries/filter: every report scores every record, several times
  let counted = 0
  let passed = 0
  for (const id in record.checks) {
    const check = record.checks[id]!
    if (check.status === 'skip' || !isObjective(id, check)) continue
    counted += 1
    if (check.status === 'pass') passed += 1
  }
  return counted === 0 ? 'failed' : passed / counted
}

/**
 * The judge's mean (1–5), or one dimension's score. Undefined — not applicable, left out of the
 * judge tables — when the goal has no judge check or no judge graded this run; a judge failure
 * is nobody's score ('infra'); no notebook is 'failed'.
 */
export function judgeScore(
  dimension?: (typeof JUDGE_DIMENSIONS)[number],
): (record: TrialView) => TrialScore | undefined {
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

/** The metrics a report (and the gate) can use, by name, with their scale [min, max]. */
export const METRICS = {
  objective: { label: 'objective checks passed (share)', score: objectiveScore, min: 0, max: 1 },
  judge: { label: 'judge score (mean of 4 dimensions, 1–5)', score: judgeScore(), min: 1, max: 5 },
} as const
export type MetricName = keyof typeof METRICS

interface Metric {
  label: string
  score: (r: TrialView) => TrialScore | undefined
  min: number
  max: number
}

export interface AblationOptions {
  /** The condition every Δ is measured against (default zero_shot). */
  baseline?: string
  metric?: Metric
  /** Reference models of the headline table (default: the largest by params); false: no headline. */
  reference?: string[] | undefined
  headline?: boolean
  /** Non-inferiority margin δ as a fraction of the metric's scale (default 0.1). */
  margin?: number
  /**
   * 'successes': only what the judge-dimension table shows (means and Δ over judged notebooks), not
   * the failures-as-0 Δ, its interval of the mean and its tests (each a bootstrap over every goal).
   */
  scope?: 'full' | 'successes'
}

export const DEFAULT_BASELINE = 'zero_shot'
export const DEFAULT_MARGIN_FRACTION = 0.1

const average = (values: (number | undefined)[]): number | undefined => {
  const present = values.filter((v): v is number => v !== undefined)
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : undefined
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

export function buildAblation(records: TrialView[], options: AblationOptions = {}): Ablation {
  const baseline = options.baseline ?? DEFAULT_BASELINE
  const metric = options.metric ?? METRICS.objective
  const full = options.scope !== 'successes'
  const cells = groupRecords(records, metric.score)
  const rows: AblationRow[] = []
  for (const [model, modelCells, conditions] of sortedCells(cells, baseline)) {
    const base = modelCells.conditions.get(baseline)
    for (const [condition, cell] of conditions) {
      const all = [...cell.goals.values()].flat()
      const goalMeans = [...cell.goals.keys()]
        .sort()
        .flatMap((goal) => cellMean(cell.goals.get(goal)!, 'failures_as_zero') ?? [])
      const row: AblationRow = {
        model,
        params: modelCells.params,
        condition,
        skills: cell.skills,
        goals: cell.goals.size,
        trials: all.length,
        infra: all.filter((s) => s === 'infra').length,
        ...optional('successRate', successRate(all)),
        ...optional('executedRate', cell.counted ? cell.clean / cell.counted : undefined),
        // goals are the units: average within a goal, then across goals
        ...optional('meanSuccesses', average([...cell.goals.values()].map((s) => cellMean(s, 'successes')))),
        ...optional('meanFailuresZero', average(goalMeans)),
        ...optional('meanCi', full && goalMeans.length ? meanInterval(goalMeans).ci : undefined),
      }
      if (base && condition !== baseline) {
        const delta = full ? pairedDelta(cell.goals, base.goals, { convention: 'failures_as_zero' }) : undefined
        const deltaSuccesses = pairedDelta(cell.goals, base.goals, { convention: 'successes' })
        if (delta) row.delta = delta
        // normalised gain (SkillsBench): how much of the headroom left by the baseline the skills closed
        if (delta && delta.meanWithout < metric.max) row.gain = delta.delta / (metric.max - delta.meanWithout)
        if (deltaSuccesses) row.deltaSuccesses = deltaSuccesses
      }
      rows.push(row)
    }
  }
  // the family for Holm: every row of this table with a Δ (each condition vs its model's baseline)
  const tested = rows.filter((r) => r.delta)
  holm(tested.map((r) => r.delta!.p)).forEach((p, i) => (tested[i]!.pHolm = p))
  const scale: [number, number] = [metric.min, metric.max]
  const ablation: Ablation = { metric: metric.label, baseline, scale, rows }
  if (options.headline !== false) {
    const gains = new Map(
      rows.flatMap((r) => (r.gain === undefined ? [] : [[`${r.model}\u0000${r.condition}`, r.gain]])),
    )
    ablation.headline = buildHeadline(cells, {
      baseline,
      reference: options.reference,
      marginFraction: options.margin ?? DEFAULT_MARGIN_FRACTION,
      scale,
      gains,
    })
  }
  return ablation
}

export interface ReportOptions {
  baseline?: string
  reference?: string[] | undefined
  margin?: number
  unfinished?: TrialView[]
}

/** Everything the reporter prints and writes (ablation.json): the tables of every metric, the grid, skill use. */
export function buildReport(records: TrialView[], options: ReportOptions = {}): AblationReport {
  const baseline = options.baseline ?? DEFAULT_BASELINE
  const common = { baseline, reference: options.reference, ...optional('margin', options.margin) }
  const report: AblationReport = {
    schema: ABLATION_SCHEMA,
    ...buildAblation(records, common),
    judgeErrors: records.filter((r) => r.judge?.status === 'error').length,
    unfinished: (options.unfinished ?? []).map((r) => ({
      model: r.model.name,
      condition: r.condition,
      goal: r.goal.id,
      sample: r.sample,
    })),
    grid: buildGrid(records, objectiveScore, METRICS.objective.label, baseline),
    telemetry: buildTelemetry(records, objectiveScore, baseline),
  }
  if (records.some((r) => r.judge?.status === 'ok')) {
    report.judge = buildAblation(records, { ...common, metric: METRICS.judge })
    report.dimensions = Object.fromEntries(
      JUDGE_DIMENSIONS.map((d) => [
        d,
        buildAblation(records, {
          baseline,
          headline: false,
          scope: 'successes',
          metric: { label: `judge ${d} (1–5)`, score: judgeScore(d), min: 1, max: 5 },
        }),
      ]),
    )
  }
  return report
}

function ablationTable(ablation: Ablation): string[][] {
  const header = [
    'Model',
    'Params',
    'Condition',
    'Goals',
    'Samples',
    'Produced',
    'Ran OK',
    'Infra',
    'Mean (fail=0)',
    'Mean (successes)',
    `Δ vs ${ablation.baseline} [95% CI]`,
    'p (Holm)',
    'ICC',
    'MDE',
    'Gain',
  ]
  const body = ablation.rows.map((r) => [
    r.model,
    humanParams(r.params),
    r.condition,
    String(r.goals),
    r.delta ? samplesPerCell(r.delta.samples) : '',
    percent(r.successRate),
    percent(r.executedRate),
    String(r.infra),
    fixed(r.meanFailuresZero),
    fixed(r.meanSuccesses),
    r.delta ? withInterval(r.delta.delta, r.delta.ci) : r.condition === ablation.baseline ? '(baseline)' : '—',
    r.delta ? `${pValue(r.delta.p)} (${pValue(r.pHolm)})` : '',
    r.delta ? fixed(r.delta.variance.icc) : '',
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
      const change = delta ? ` (Δ ${withInterval(delta.delta, delta.ci)})` : ''
      return `${fixed(r.meanSuccesses)}${change}`
    }),
  ])
  return [header, ...body]
}

/** How the rows were computed: the methods each row names, and the Holm family. */
function methodNote(ablation: Ablation): string {
  const tests = new Set(ablation.rows.flatMap((r) => (r.delta ? [r.delta.test] : [])))
  const intervals = new Set(ablation.rows.flatMap((r) => (r.delta ? [r.delta.method] : [])))
  const testText = [...tests].map((t) => (t === 'exact' ? 'exact (all sign patterns, ≤ 16 goals)' : 'Monte Carlo'))
  return [
    `Δ is paired by goal (samples averaged within a goal), failures counted as 0; 95% interval:`,
    `${[...intervals].join(', ') || 'bootstrap-t'} over goals; p: sign-flip permutation test of Δ = 0`,
    `(${testText.join(', ') || 'exact up to 16 goals, Monte Carlo above'}), Holm-adjusted over the`,
    `${ablation.rows.filter((r) => r.delta).length} Δ row(s) of this table (the family). ICC: samples within goals`,
    `(near 1: add goals; near 0: add samples; blank with 1 sample per cell). MDE at α = 0.05, power 0.8.`,
    `Gain = Δ / (max − baseline mean), the share of the headroom closed. Infrastructure failures are excluded.`,
  ].join(' ')
}

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
  const report = ablation as Partial<AblationReport>
  const parts: string[] = []
  if (ablation.headline) parts.push(formatHeadlineTerminal(ablation.headline), '')
  parts.push(`score: ${ablation.metric}`, terminalTable(ablationTable(ablation)))
  if (report.judge) {
    if (report.judge.headline?.rows.length)
      parts.push('', `score: ${report.judge.metric}`, formatHeadlineTerminal(report.judge.headline))
    parts.push('', `score: ${report.judge.metric}`, terminalTable(ablationTable(report.judge)))
  }
  if (report.dimensions)
    parts.push(
      '',
      'judge dimensions: mean over judged notebooks (Δ vs baseline, successes only)',
      terminalTable(dimensionTable(report as AblationReport)),
    )
  const telemetry = report.telemetry ? formatTelemetryTerminal(report.telemetry) : undefined
  if (telemetry) parts.push('', telemetry)
  if (report.judgeErrors)
    parts.push(
      '',
      `judge errors: ${report.judgeErrors} trial(s) could not be judged (judge_error); ` +
        'they are excluded from the judge tables',
    )
  const unfinished = unfinishedNote(report)
  if (unfinished) parts.push('', unfinished)
  parts.push(
    '',
    'Δ paired by goal, failures counted as 0; bootstrap-t CI over goals, sign-flip p (Holm); infra failures excluded',
  )
  return parts.join('\n')
}

export function formatMarkdown(ablation: Ablation | AblationReport): string {
  const report = ablation as Partial<AblationReport>
  const parts: string[] = []
  if (ablation.headline) parts.push(formatHeadlineMarkdown(ablation.headline), '')
  parts.push(`**Score: ${ablation.metric}**`, '', markdownTable(ablationTable(ablation)), '', methodNote(ablation))
  if (report.judge) {
    if (report.judge.headline?.rows.length)
      parts.push('', `**Score: ${report.judge.metric}**`, '', formatHeadlineMarkdown(report.judge.headline))
    parts.push(
      '',
      `**Score: ${report.judge.metric}** (independent judge)`,
      '',
      markdownTable(ablationTable(report.judge)),
    )
  }
  if (report.dimensions) {
    parts.push(
      '',
      '**Judge dimensions**: mean over judged notebooks (Δ vs baseline over successes, 95% CI)',
      '',
      markdownTable(dimensionTable(report as AblationReport)),
    )
  }
  const telemetry = report.telemetry ? formatTelemetryMarkdown(report.telemetry) : undefined
  if (telemetry) parts.push('', telemetry)
  if (report.judgeErrors)
    parts.push(
      '',
      `Judge errors: ${report.judgeErrors} trial(s) could not be judged (judge_error) ` +
        'and are excluded from the judge tables.',
    )
  const unfinished = unfinishedNote(report)
  if (unfinished) parts.push('', `**${unfinished}**`)
  const grid = report.grid ? formatGridMarkdown(report.grid) : ''
  if (grid) parts.push('', grid)
  return parts.join('\n')
}
