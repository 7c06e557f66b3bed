import { JUDGE_DIMENSIONS } from '../judge/subject.ts'
import type { TrialRecord } from '../results/schema.ts'
import { fixed, markdownTable } from './table.ts'

/**
 * Is the judge worth listening to? Two checks from records only:
 *  - calibration: on notebooks known to be good (oracles) and known to be bad (negative controls)
 *    for the same goals, a useful judge scores the good ones higher;
 *  - agreement: two judges grading the same trials (two runs, same trial cache, different
 *    SKILLDELTA_JUDGE) — quadratic-weighted Cohen's κ per dimension (≥ 0.8 reliable, ≥ 0.667 tentative).
 */

/** Quadratic-weighted Cohen's κ for paired integer ratings on 1..categories. */
export function quadraticKappa(a: number[], b: number[], categories = 5): number | undefined {
  if (a.length !== b.length) throw new Error('quadraticKappa: the two raters must rate the same items')
  const n = a.length
  if (n === 0) return undefined
  const observed = Array.from({ length: categories }, () => new Array<number>(categories).fill(0))
  const rowTotals = new Array<number>(categories).fill(0)
  const columnTotals = new Array<number>(categories).fill(0)
  a.forEach((x, i) => {
    const y = b[i]!
    observed[x - 1]![y - 1]! += 1
    rowTotals[x - 1]! += 1
    columnTotals[y - 1]! += 1
  })
  let disagreement = 0
  let chance = 0
  for (let i = 0; i < categories; i++) {
    for (let j = 0; j < categories; j++) {
      const weight = (i - j) ** 2 / (categories - 1) ** 2
      disagreement += weight * observed[i]![j]!
      chance += (weight * rowTotals[i]! * columnTotals[j]!) / n
    }
  }
  // every rating in one category on both sides: agreement is perfect but κ is undefined
  return chance === 0 ? undefined : 1 - disagreement / chance
}

const judgedMean = (record: TrialRecord): number | undefined =>
  record.judge?.status === 'ok' ? record.judge.mean : undefined
const meanOf = (values: number[]): number | undefined =>
  values.length ? values.reduce((x, y) => x + y, 0) / values.length : undefined

interface CalibrationRow {
  goal: string
  good: number | undefined
  bad: number | undefined
}

interface Calibration {
  rows: CalibrationRow[]
  /** Goals with both a good and a bad judged notebook. */
  paired: number
  /** Of those, goals where the good notebook scored strictly higher. */
  separated: number
  /** Over the paired goals: P(a random good notebook outscores a random bad one), ties count half; 0.5 is a coin. */
  auc: number | undefined
}

/** Judge means of a known-good model's trials against a known-bad model's, per goal. */
export function calibration(records: TrialRecord[], good: string, bad: string): Calibration {
  const goals = [
    ...new Set(records.filter((r) => r.model.name === good || r.model.name === bad).map((r) => r.goal.id)),
  ].sort()
  const scores = (model: string, goal?: string) =>
    records
      .filter((r) => r.model.name === model && (goal === undefined || r.goal.id === goal))
      .flatMap((r) => judgedMean(r) ?? [])
  const rows = goals.map((goal) => ({ goal, good: meanOf(scores(good, goal)), bad: meanOf(scores(bad, goal)) }))
  const paired = rows.filter((r) => r.good !== undefined && r.bad !== undefined)
  // AUC over goals both models have, so a goal only one side reached cannot tilt it
  const pairedGoals = new Set(paired.map((r) => r.goal))
  const goodAll = records
    .filter((r) => r.model.name === good && pairedGoals.has(r.goal.id))
    .flatMap((r) => judgedMean(r) ?? [])
  const badAll = records
    .filter((r) => r.model.name === bad && pairedGoals.has(r.goal.id))
    .flatMap((r) => judgedMean(r) ?? [])
  let wins = 0
  for (const g of goodAll) for (const b of badAll) wins += g > b ? 1 : g === b ? 0.5 : 0
  return {
    rows,
    paired: paired.length,
    separated: paired.filter((r) => r.good! > r.bad!).length,
    auc: goodAll.length && badAll.length ? wins / (goodAll.length * badAll.length) : undefined,
  }
}

interface Agreement {
  /** Trials both judges graded, on the very same notebook (matched by cell and digest hash). */
  pairs: number
  /** Cells found in both runs whose notebooks differ (a trial-cache miss): not comparable, left out. */
  differentNotebooks: number
  kappa: Record<string, number | undefined>
  judges: [string, string]
}

export function agreement(first: TrialRecord[], second: TrialRecord[]): Agreement {
  const key = (r: TrialRecord) => `${r.model.name}\u0000${r.condition}\u0000${r.goal.id}\u0000${r.sample}`
  const judgedOnly = (records: TrialRecord[]) =>
    new Map(records.filter((r) => r.judge?.status === 'ok').map((r) => [key(r), r])) // one per cell
  const a = judgedOnly(first)
  const b = judgedOnly(second)
  const both = [...a].flatMap(([k, r]) => (b.has(k) ? [[r, b.get(k)!] as const] : []))
  const pairs = both.filter(
    ([x, y]) => x.judge!.digest?.hash !== undefined && x.judge!.digest.hash === y.judge!.digest?.hash,
  )
  const kappa = Object.fromEntries(
    JUDGE_DIMENSIONS.map((d) => [
      d,
      quadraticKappa(
        pairs.map(([x]) => x.judge!.scores![d]!),
        pairs.map(([, y]) => y.judge!.scores![d]!),
      ),
    ]),
  )
  const judgeOf = (records: TrialRecord[]) => records.find((r) => r.judge)?.judge?.model.name ?? '—'
  return {
    pairs: pairs.length,
    differentNotebooks: both.length - pairs.length,
    kappa,
    judges: [judgeOf(first), judgeOf(second)],
  }
}

export function formatCalibration(result: Calibration, good: string, bad: string): string {
  const table = markdownTable([
    ['Goal', `${good} (good)`, `${bad} (bad)`],
    ...result.rows.map((r) => [r.goal, fixed(r.good), fixed(r.bad)]),
  ])
  const lines = [
    table,
    '',
    `The judge scored the good notebook higher on ${result.separated} of ${result.paired} goals; ` +
      `AUC ${fixed(result.auc)} (0.5 is a coin toss).`,
  ]
  return lines.join('\n')
}

export function formatAgreement(result: Agreement): string {
  const verdict = (k: number | undefined) =>
    k === undefined ? 'undefined' : k >= 0.8 ? 'reliable' : k >= 0.667 ? 'tentative' : 'unreliable'
  return [
    markdownTable([
      ['Dimension', 'κ (quadratic)', 'Reading'],
      ...JUDGE_DIMENSIONS.map((d) => [d, fixed(result.kappa[d]), verdict(result.kappa[d])]),
    ]),
    '',
    `${result.judges[0]} vs ${result.judges[1]} over ${result.pairs} notebooks judged by both` +
      (result.differentNotebooks
        ? ` (${result.differentNotebooks} cells left out: the two runs judged different notebooks).`
        : '.') +
      (result.judges[0] === result.judges[1] ? ' Both runs used the same judge: this is test–retest agreement.' : ''),
  ].join('\n')
}
