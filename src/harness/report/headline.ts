import type { Cells } from './cells.ts'
import type { Headline, HeadlineRow, Verdict } from './schema.ts'
import { comparePairs, holm, pairGoals, signFlipTest } from './stats.ts'
import { fixed, humanParams, markdownTable, pValue, samplesPerCell, terminalTable, withInterval } from './table.ts'

/**
 * The study's answer on one page: does a small model WITH skills reach a reference model WITHOUT
 * them? For every (small model, condition that offered skills) × (reference model, baseline): the
 * goals in common, both means, their difference paired by goal with a 95 % interval, and a
 * non-inferiority verdict at margin δ (a fraction of the score's scale):
 *   beats        lower bound > 0
 *   reaches      lower bound > −δ
 *   falls short  upper bound < −δ
 *   undecided    otherwise (the interval straddles −δ)
 * Reference models are the ones the options name, else the largest by params in the run. Models
 * larger than every reference are not "small" and get no row.
 */

export function verdictOf(ci: [number, number], margin: number): Verdict {
  if (ci[0] > 0) return 'beats'
  if (ci[0] > -margin) return 'reaches'
  if (ci[1] < -margin) return 'falls short'
  return 'undecided'
}

interface HeadlineOptions {
  baseline: string
  /** Named reference models; undefined: the largest by params. */
  reference?: string[] | undefined
  /** δ as a fraction of the scale. */
  marginFraction: number
  scale: [number, number]
  /** The normalised gain of each (model, condition) from its own row ("model\u0000condition"). */
  gains: Map<string, number>
}

function chooseReferences(
  cells: Cells,
  named: string[] | undefined,
  notes: string[],
): { references: string[]; chosenBy: Headline['chosenBy'] } {
  if (named) {
    const missing = named.filter((name) => !cells.has(name))
    if (missing.length) notes.push(`reference model(s) with no scored trials in this run: ${missing.join(', ')}`)
    return { references: named.filter((name) => cells.has(name)), chosenBy: 'option' }
  }
  const sized = [...cells].filter(([, model]) => model.params !== null)
  if (sized.length === 0) {
    notes.push('no model in the run has `params`: name the reference models with the `reference` option')
    return { references: [], chosenBy: 'largest by params' }
  }
  const largest = Math.max(...sized.map(([, model]) => model.params!))
  return {
    references: sized.filter(([, model]) => model.params === largest).map(([name]) => name),
    chosenBy: 'largest by params',
  }
}

export function buildHeadline(cells: Cells, options: HeadlineOptions): Headline {
  const notes: string[] = []
  const { references, chosenBy } = chooseReferences(cells, options.reference, notes)
  const margin = options.marginFraction * (options.scale[1] - options.scale[0])
  const largestReference = Math.max(...references.map((r) => cells.get(r)?.params ?? -Infinity))
  const rows: Omit<HeadlineRow, 'pHolm'>[] = []
  for (const reference of [...references].sort()) {
    const base = cells.get(reference)?.conditions.get(options.baseline)
    if (!base) {
      notes.push(`reference ${reference} has no ${options.baseline} trials`)
      continue
    }
    for (const [model, small] of [...cells].sort(([a], [b]) => a.localeCompare(b))) {
      if (references.includes(model)) continue
      if (small.params !== null && Number.isFinite(largestReference) && small.params > largestReference) continue
      for (const [condition, arm] of [...small.conditions].sort(([a], [b]) => a.localeCompare(b))) {
        if (!arm.skills || condition === options.baseline) continue
        const { pairs, unpaired } = pairGoals(arm.goals, base.goals, 'failures_as_zero')
        const delta = comparePairs(pairs, unpaired)
        if (!delta) {
          notes.push(`${model} · ${condition} has no goal in common with ${reference} · ${options.baseline}`)
          continue
        }
        // non-inferiority: H0 Δ ≤ −δ against Δ > −δ, on the shifted per-goal differences
        const shifted = Float64Array.from(pairs, (p) => p.a.mean - p.b.mean + margin)
        const gain = options.gains.get(`${model}\u0000${condition}`)
        rows.push({
          model,
          params: small.params,
          condition,
          reference,
          referenceParams: cells.get(reference)?.params ?? null,
          delta,
          ...(gain === undefined ? {} : { gain }),
          verdict: verdictOf(delta.ci, margin),
          pNonInferiority: signFlipTest(shifted, { alternative: 'greater' }).p,
        })
      }
    }
  }
  const adjusted = holm(rows.map((r) => r.pNonInferiority))
  return {
    references,
    chosenBy,
    baseline: options.baseline,
    marginFraction: options.marginFraction,
    margin,
    scale: options.scale,
    rows: rows.map((row, i) => ({ ...row, pHolm: adjusted[i]! })),
    notes,
  }
}

const method = (row: HeadlineRow): string =>
  `${row.delta.method}; ${row.delta.test === 'exact' ? 'exact' : 'Monte Carlo'} sign-flip`

function headlineTable(headline: Headline): string[][] {
  const header = [
    'Small model · condition',
    `Reference · ${headline.baseline}`,
    'Goals',
    'Samples',
    'Small',
    'Reference',
    'Δ [95% CI]',
    'Gain',
    `Verdict (δ ${fixed(headline.margin)})`,
    'p NI (Holm)',
    'ICC',
    'MDE',
    'Method',
  ]
  const body = headline.rows.map((row) => [
    `${row.model} (${humanParams(row.params)}) · ${row.condition}`,
    `${row.reference} (${humanParams(row.referenceParams)})`,
    String(row.delta.n),
    samplesPerCell(row.delta.samples),
    fixed(row.delta.meanWith),
    fixed(row.delta.meanWithout),
    withInterval(row.delta.delta, row.delta.ci),
    row.gain === undefined ? '—' : fixed(row.gain),
    row.verdict,
    `${pValue(row.pNonInferiority)} (${pValue(row.pHolm)})`,
    fixed(row.delta.variance.icc),
    fixed(row.delta.mde),
    method(row),
  ])
  return [header, ...body]
}

function headlineMethod(headline: Headline): string {
  const chosen = headline.chosenBy === 'option' ? 'named in the options' : 'the largest model by params in this run'
  return [
    `Reference: ${headline.references.join(', ') || '—'} (${chosen}), ${headline.baseline}.`,
    `Δ = small with skills − reference, paired by goal (samples averaged within a goal), failures as 0.`,
    `Verdict at δ = ${fixed(headline.margin)} (${headline.marginFraction} of the ${headline.scale[0]}–` +
      `${headline.scale[1]} scale): beats (lower bound > 0), reaches (lower > −δ), falls short (upper < −δ),`,
    `undecided otherwise. p NI: one-sided sign-flip test of Δ ≤ −δ, Holm-adjusted over the`,
    `${headline.rows.length} comparison(s) of this table (the family). Gain: the small model's normalised gain from`,
    `the condition (its own row). ICC: samples within goals (near 1: add goals; near 0: add samples).`,
  ].join(' ')
}

export function formatHeadlineTerminal(headline: Headline): string {
  const parts = ['small model with skills vs reference without (non-inferiority)']
  if (headline.rows.length) parts.push(terminalTable(headlineTable(headline)))
  else parts.push('  (no comparison: see the notes)')
  for (const note of headline.notes) parts.push(`  note: ${note}`)
  return parts.join('\n')
}

export function formatHeadlineMarkdown(headline: Headline): string {
  const parts = ['**Small model with skills vs reference without** (non-inferiority)', '']
  if (headline.rows.length) parts.push(markdownTable(headlineTable(headline)), '')
  else parts.push('No comparison could be made.', '')
  for (const note of headline.notes) parts.push(`- ${note}`)
  if (headline.notes.length) parts.push('')
  parts.push(headlineMethod(headline))
  return parts.join('\n')
}
