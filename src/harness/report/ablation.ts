import type { TrialRecord } from '../trial/record.ts'
import { cellMean, pairedDelta, successRate, type PairedDelta, type TrialScore } from './stats.ts'

/**
 * The skill Δ ablation table, computed from trial records only (nothing typed by hand).
 * The score of a trial is a status or a number:
 *  - infra_error → 'infra' (excluded everywhere),
 *  - no notebook executed (generation_failed) → 'failed',
 *  - otherwise the share of its objective checks that passed (executes, PSD, signal, …).
 * The judge's scalar joins as a second metric when the judge lands.
 */

export function objectiveScore(record: TrialRecord): TrialScore {
  if (record.status === 'infra_error') return 'infra'
  if (record.status === 'generation_failed' || record.status === 'pending') return 'failed'
  const objective = Object.entries(record.checks).filter(([name, check]) => name !== 'judge_score' && check.status !== 'skip')
  if (objective.length === 0) return 'failed'
  return objective.filter(([, check]) => check.status === 'pass').length / objective.length
}

export interface AblationRow {
  model: string
  params: number | null
  condition: string
  goals: number
  trials: number
  infra: number
  successRate: number | undefined
  meanSuccesses: number | undefined
  meanFailuresZero: number | undefined
  /** Δ vs the baseline condition, failures counted as 0 (the headline). */
  delta?: PairedDelta
  /** Δ vs the baseline condition, over successful trials only. */
  deltaSuccesses?: PairedDelta
}

export interface Ablation {
  metric: string
  baseline: string
  rows: AblationRow[]
}

type GoalScores = Map<string, TrialScore[]>

const average = (values: (number | undefined)[]): number | undefined => {
  const present = values.filter((v): v is number => v !== undefined)
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : undefined
}

export function buildAblation(records: TrialRecord[], baseline = 'zero_shot', score: (r: TrialRecord) => TrialScore = objectiveScore): Ablation {
  const cells = new Map<string, Map<string, GoalScores>>() // model → condition → goal → scores
  const params = new Map<string, number | null>()
  for (const record of records) {
    params.set(record.model.name, record.model.params)
    const byCondition = cells.get(record.model.name) ?? new Map<string, GoalScores>()
    const byGoal = byCondition.get(record.condition) ?? new Map<string, TrialScore[]>()
    byGoal.set(record.goal.id, [...(byGoal.get(record.goal.id) ?? []), score(record)])
    byCondition.set(record.condition, byGoal)
    cells.set(record.model.name, byCondition)
  }
  const rows: AblationRow[] = []
  for (const [model, byCondition] of [...cells].sort(([a], [b]) => a.localeCompare(b))) {
    const base = byCondition.get(baseline)
    const conditions = [...byCondition.keys()].sort((a, b) => Number(b === baseline) - Number(a === baseline) || a.localeCompare(b))
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
        // goals are the units: average within a goal, then across goals
        meanSuccesses: average([...byGoal.values()].map((s) => cellMean(s, 'successes'))),
        meanFailuresZero: average([...byGoal.values()].map((s) => cellMean(s, 'failures_as_zero'))),
      }
      if (base && condition !== baseline) {
        const delta = pairedDelta(byGoal, base, { convention: 'failures_as_zero' })
        const deltaSuccesses = pairedDelta(byGoal, base, { convention: 'successes' })
        if (delta) row.delta = delta
        if (deltaSuccesses) row.deltaSuccesses = deltaSuccesses
      }
      rows.push(row)
    }
  }
  return { metric: 'objective checks passed (share)', baseline, rows }
}

const fixed = (value: number | undefined, digits = 2): string => (value === undefined ? '—' : value.toFixed(digits))
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`
const humanParams = (params: number | null): string =>
  params === null ? '—' : params >= 1e12 ? `${params / 1e12}T` : params >= 1e9 ? `${+(params / 1e9).toFixed(1)}B` : `${+(params / 1e6).toFixed(0)}M`

export function ablationTable(ablation: Ablation): string[][] {
  const header = ['Model', 'Params', 'Condition', 'Goals', 'Success', 'Mean (fail=0)', 'Mean (successes)', `Δ vs ${ablation.baseline} [95% CI]`, 'MDE']
  const body = ablation.rows.map((r) => [
    r.model,
    humanParams(r.params),
    r.condition,
    String(r.goals),
    r.successRate === undefined ? '—' : `${Math.round(r.successRate * 100)}%`,
    fixed(r.meanFailuresZero),
    fixed(r.meanSuccesses),
    r.delta ? `${signed(r.delta.delta)} [${signed(r.delta.ci[0])}, ${signed(r.delta.ci[1])}]` : r.condition === ablation.baseline ? '(baseline)' : '—',
    r.delta ? fixed(r.delta.mde) : '',
  ])
  return [header, ...body]
}

export function formatTerminal(ablation: Ablation): string {
  const [header, ...body] = ablationTable(ablation)
  const widths = header!.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
  return [line(header!), line(widths.map((w) => '─'.repeat(w))), ...body.map(line), '', `score: ${ablation.metric}; Δ paired by goal, failures counted as 0, bootstrap CI over goals; infra failures excluded`].join('\n')
}

export function formatMarkdown(ablation: Ablation): string {
  const [header, ...body] = ablationTable(ablation)
  return [
    `| ${header!.join(' | ')} |`,
    `|${header!.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Score: ${ablation.metric}. Δ is paired by goal (samples averaged within a goal), failures counted as 0, with a 95% bootstrap CI over goals; MDE at α = 0.05, power 0.8. Infrastructure failures are excluded.`,
  ].join('\n')
}

/** Per-goal means (failures as 0) for every model × condition: where the Δ comes from. */
export function perGoalMarkdown(records: TrialRecord[], score: (r: TrialRecord) => TrialScore = objectiveScore): string {
  const columns = [...new Set(records.map((r) => `${r.model.name} · ${r.condition}`))].sort()
  const goals = [...new Set(records.map((r) => r.goal.id))].sort()
  const cell = (goal: string, column: string) => {
    const samples = records.filter((r) => r.goal.id === goal && `${r.model.name} · ${r.condition}` === column).map(score)
    return fixed(cellMean(samples, 'failures_as_zero'))
  }
  return [`| Goal | ${columns.join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`, ...goals.map((g) => `| ${g} | ${columns.map((c) => cell(g, c)).join(' | ')} |`)].join('\n')
}
