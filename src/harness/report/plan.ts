import type { Ablation } from './schema.ts'
import { goalsNeeded, minimumGoalsForTest } from './stats.ts'
import { fixed, markdownTable, terminalTable } from './table.ts'

/**
 * Plan before paying: how many goals and samples per cell a comparison needs to detect an effect
 * with 80 % power, from a pilot run's variance components or a stated standard deviation. A goal's
 * paired difference with m samples per cell has variance σ²_goal + σ²_sample/m (see
 * stats.varianceComponents), so more samples shrink only the second part: when the ICC is high, only
 * more goals help. The goals needed solve the MDE formula (t quantiles) and are never fewer than the
 * sign-flip test needs to reach p < 0.05 at all (6).
 */

export interface PlanSource {
  label: string
  /** σ²_goal and σ²_sample of a goal's difference (σ²_sample per single-sample difference). */
  goal: number
  sample: number
  note?: string
}

export interface PlanCell {
  samples: number
  sdDiff: number
  goals: number
  /** Trials for this comparison: both arms, goals × samples each. */
  trials: number
}

export interface PlanRow {
  source: PlanSource
  cells: PlanCell[]
  /** The design with the fewest trials (index into cells). */
  cheapest: number
}

export interface PlanOptions {
  effect: number
  power?: number
  maxSamples?: number
}

export function planRow(source: PlanSource, options: PlanOptions): PlanRow {
  const cells = Array.from({ length: options.maxSamples ?? 5 }, (_, i) => {
    const samples = i + 1
    const sdDiff = Math.sqrt(source.goal + source.sample / samples)
    const goals = goalsNeeded(options.effect, sdDiff, options.power ?? 0.8)
    return { samples, sdDiff, goals, trials: 2 * goals * samples }
  })
  const cheapest = cells.reduce((best, cell, i) => (cell.trials < cells[best]!.trials ? i : best), 0)
  return { source, cells, cheapest }
}

/** A stated standard deviation of a goal's difference with ONE sample per cell, split by the ICC. */
export function statedSource(sd: number, icc: number | undefined): PlanSource {
  const total = sd * sd
  const rho = icc ?? 1
  return {
    label: `stated: sd ${fixed(sd)} per goal with 1 sample, ICC ${fixed(rho)}`,
    goal: rho * total,
    sample: (1 - rho) * total,
    ...(icc === undefined ? { note: 'ICC not given: assumed 1 (more samples assumed not to help); pass --icc' } : {}),
  }
}

/**
 * Variance components of every comparison a pilot's report makes: each condition vs its model's
 * baseline, and each headline comparison. A pilot with one sample per cell cannot separate goal from
 * sample variance: then its observed variance is taken as the goals' (ICC 1) unless `icc` is given.
 */
export function pilotSources(ablation: Ablation, icc?: number): PlanSource[] {
  const comparisons = [
    ...ablation.rows.flatMap((r) =>
      r.delta ? [{ label: `${r.model} · ${r.condition} vs ${ablation.baseline}`, delta: r.delta }] : [],
    ),
    ...(ablation.headline?.rows ?? []).map((r) => ({
      label: `${r.model} · ${r.condition} vs ${r.reference} · ${ablation.baseline}`,
      delta: r.delta,
    })),
  ]
  return comparisons.flatMap(({ label, delta }) => {
    if (delta.n < 2) return []
    const { goal, sample } = delta.variance
    if (goal !== undefined && sample !== undefined) return [{ label, goal, sample }]
    // one sample per cell: var(d) = σ²_goal + σ²_sample at m = 1
    const total = delta.sdDiff ** 2
    const rho = icc ?? 1
    const note =
      icc === undefined
        ? 'one sample per cell in the pilot: goal and sample variance cannot be separated (ICC taken as 1)'
        : `one sample per cell in the pilot: split by the given ICC ${fixed(icc)}`
    return [{ label, goal: rho * total, sample: (1 - rho) * total, note }]
  })
}

function planTable(rows: PlanRow[]): string[][] {
  const samples = rows[0]?.cells.map((c) => c.samples) ?? []
  const header = [
    'Comparison',
    'σ goal',
    'σ sample',
    'ICC',
    ...samples.map((m) => `${m} sample${m > 1 ? 's' : ''}/cell`),
  ]
  const body = rows.map((row) => {
    const { goal, sample } = row.source
    return [
      row.source.label,
      fixed(Math.sqrt(goal)),
      fixed(Math.sqrt(sample)),
      goal + sample > 0 ? fixed(goal / (goal + sample)) : '—',
      ...row.cells.map((cell, i) => {
        const text = Number.isFinite(cell.goals) ? `${cell.goals} goals, ${cell.trials} trials` : 'unreachable'
        return i === row.cheapest && Number.isFinite(cell.goals) ? `${text} *` : text
      }),
    ]
  })
  return [header, ...body]
}

export interface PlanReport {
  effect: number
  power: number
  /** Where the variance came from (a run id, or "stated"). */
  from: string
  metric?: string
  rows: PlanRow[]
  /** Cells (model × condition) of the pilot's matrix, for the cost of the whole run. */
  matrixCells?: number
}

/** The design (goals, samples per cell) that gives every comparison its power, with the fewest trials. */
export function designForAll(rows: PlanRow[]): { goals: number; samples: number } | undefined {
  let best: { goals: number; samples: number } | undefined
  for (let i = 0; i < (rows[0]?.cells.length ?? 0); i++) {
    const goals = Math.max(...rows.map((row) => row.cells[i]!.goals))
    const samples = i + 1
    if (Number.isFinite(goals) && (!best || goals * samples < best.goals * best.samples)) best = { goals, samples }
  }
  return best
}

export function formatPlan(plan: PlanReport, markdown = false): string {
  const lines = [
    `plan: goals × samples per cell for ${Math.round(plan.power * 100)}% power to detect Δ = ${plan.effect} ` +
      `(two-sided α = 0.05, paired by goal; the sign-flip test needs at least ${minimumGoalsForTest()} goals)`,
    `variance from ${plan.from}${plan.metric ? ` (${plan.metric})` : ''}`,
    '',
    plan.rows.length
      ? (markdown ? markdownTable : terminalTable)(planTable(plan.rows))
      : '(no comparison with at least 2 paired goals in the pilot)',
  ]
  for (const row of plan.rows) if (row.source.note) lines.push(`note (${row.source.label}): ${row.source.note}`)
  lines.push('', '* the design with the fewest trials for that comparison (trials: both arms, goals × samples each)')
  const design = designForAll(plan.rows)
  if (design) {
    const matrix =
      plan.matrixCells === undefined
        ? ''
        : `: the whole matrix of the pilot (${plan.matrixCells} model × condition cells) would take ` +
          `${plan.matrixCells * design.goals * design.samples} trials`
    lines.push(
      `Every comparison at once, fewest trials: ${design.goals} goals × ${design.samples} sample(s) per cell${matrix}.`,
    )
  }
  const last = (plan.rows[0]?.cells.length ?? 0) - 1
  const fewestGoals = last >= 0 ? Math.max(...plan.rows.map((row) => row.cells[last]!.goals)) : Infinity
  if (Number.isFinite(fewestGoals) && design && fewestGoals < design.goals)
    lines.push(`Every comparison at once, fewest goals: ${fewestGoals} goals × ${last + 1} samples per cell.`)
  return lines.join('\n')
}
