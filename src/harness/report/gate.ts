import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { TrialView } from '../results/schema.ts'
import { METRICS, type MetricName } from './ablation.ts'
import { fixed, markdownTable } from './table.ts'
import { pairedDelta, type PairedDelta, type TrialScore } from './stats.ts'

/**
 * The regression gate for skill pull requests. A run is compared with the committed baseline,
 * paired by (model, condition, goal). A cell regresses only when the whole 95 % interval of
 * (new − baseline) lies below −margin; a drop inside the noise is reported, never failed.
 */

const ScoreSchema = z.union([z.number(), z.enum(['failed', 'infra'])])

const BaselineSchema = z
  .object({
    schema: z.literal('skilldelta.baseline/1'),
    metric: z.string(),
    fromRun: z.string(),
    createdAt: z.string(),
    cells: z.array(
      z.object({ model: z.string(), condition: z.string(), goal: z.string(), scores: z.array(ScoreSchema) }).strict(),
    ),
  })
  .strict()
type Baseline = z.infer<typeof BaselineSchema>

export const DEFAULT_MARGIN = 0.1

/** The metric a baseline was made with (by name, or by the label older baselines stored). */
function baselineMetric(baseline: Pick<Baseline, 'metric'>): MetricName {
  const found = (Object.keys(METRICS) as MetricName[]).find(
    (name) => name === baseline.metric || METRICS[name].label === baseline.metric,
  )
  if (!found)
    throw new Error(
      `the baseline's metric "${baseline.metric}" is unknown (use one of ${Object.keys(METRICS).join(', ')}); ` +
        'remake it with "skilldelta baseline update"',
    )
  return found
}

export function baselineFrom(records: TrialView[], runId: string, metric: MetricName = 'objective'): Baseline {
  const score: (r: TrialView) => TrialScore | undefined = METRICS[metric].score
  const cells = new Map<string, Baseline['cells'][number]>()
  for (const r of records) {
    const key = `${r.model.name}\u0000${r.condition}\u0000${r.goal.id}`
    const cell = cells.get(key) ?? { model: r.model.name, condition: r.condition, goal: r.goal.id, scores: [] }
    const value = score(r)
    if (value === undefined) continue // the metric does not apply (e.g. a goal without a judge check)
    cell.scores.push(value)
    cells.set(key, cell)
  }
  return {
    schema: 'skilldelta.baseline/1',
    metric,
    fromRun: runId,
    createdAt: new Date().toISOString(),
    cells: [...cells.values()].sort((a, b) =>
      `${a.model} ${a.condition} ${a.goal}`.localeCompare(`${b.model} ${b.condition} ${b.goal}`),
    ),
  }
}

export async function readBaseline(file: string): Promise<Baseline> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new Error(
      `${file}: cannot read the baseline (${(error as Error).message}); ` +
        'create it with "skilldelta baseline update --run <run id>"',
    )
  }
  const parsed = BaselineSchema.safeParse(raw)
  if (!parsed.success)
    throw new Error(`${file}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`)
  return parsed.data
}

export async function writeBaseline(file: string, baseline: Baseline): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, `${JSON.stringify(baseline, null, 2)}\n`)
}

export type Verdict = 'regression' | 'noise' | 'unchanged' | 'improvement'

/** A regression: the whole 95 % interval of the paired Δ lies below −margin (a drop within the noise is not one). */
export const regressed = (change: Pick<PairedDelta, 'ci'>, margin: number): boolean => change.ci[1] < -margin

interface GateRow {
  model: string
  condition: string
  verdict: Verdict
  change?: PairedDelta
  reason: string
}

export function gate(
  records: TrialView[],
  baseline: Baseline,
  margin = DEFAULT_MARGIN,
): { rows: GateRow[]; regressions: GateRow[] } {
  // score the new run with the metric the baseline was made with
  const current = baselineFrom(records, 'current', baselineMetric(baseline))
  const group = (cells: Baseline['cells']) => {
    const byPair = new Map<string, Map<string, TrialScore[]>>()
    for (const cell of cells) {
      const key = `${cell.model}\u0000${cell.condition}`
      byPair.set(key, (byPair.get(key) ?? new Map()).set(cell.goal, cell.scores))
    }
    return byPair
  }
  const now = group(current.cells)
  const before = group(baseline.cells)
  const rows: GateRow[] = []
  for (const [key, goals] of now) {
    const [model = '', condition = ''] = key.split('\u0000')
    const base = before.get(key)
    if (!base) {
      rows.push({
        model,
        condition,
        verdict: 'unchanged',
        reason: 'not in the baseline (new cell): nothing to compare',
      })
      continue
    }
    const change = pairedDelta(goals, base, { convention: 'failures_as_zero' })
    if (!change) {
      rows.push({ model, condition, verdict: 'unchanged', reason: 'no goal in common with the baseline' })
      continue
    }
    const [lo, hi] = change.ci
    const interval =
      `Δ ${change.delta.toFixed(2)} [${fixed(lo)}, ${fixed(hi)}] ` +
      `over ${change.n} goals (MDE ${fixed(change.mde)}; ${change.method})`
    if (regressed(change, margin))
      rows.push({
        model,
        condition,
        verdict: 'regression',
        change,
        reason: `${interval}: the whole interval is below −${margin}`,
      })
    else if (change.delta < 0 && lo < 0)
      rows.push({ model, condition, verdict: 'noise', change, reason: `${interval}: a drop within the noise` })
    else if (lo > 0)
      rows.push({ model, condition, verdict: 'improvement', change, reason: `${interval}: better than the baseline` })
    else rows.push({ model, condition, verdict: 'unchanged', change, reason: interval })
  }
  rows.sort((a, b) => `${a.model} ${a.condition}`.localeCompare(`${b.model} ${b.condition}`))
  return { rows, regressions: rows.filter((r) => r.verdict === 'regression') }
}

export function formatGate(rows: GateRow[], margin: number): string {
  const table = markdownTable([
    ['Model', 'Condition', 'Verdict', 'Evidence'],
    ...rows.map((r) => [r.model, r.condition, r.verdict === 'regression' ? '**regression**' : r.verdict, r.reason]),
  ])
  return [
    table,
    '',
    `Regression: the 95% CI of (new − baseline), paired by goal, lies entirely below −${margin}.`,
  ].join('\n')
}
