/**
 * Skill Δ and its uncertainty, the way the study design asks (see docs and
 * ../shared/notes/evaluation-and-statistics.md):
 *  - Δ is PAIRED by goal: d_g = score_with(g) − score_without(g); goals are the clusters, so the
 *    samples of a cell are averaged within the goal first;
 *  - the 95 % interval is a paired bootstrap over goals (resample goals with replacement), because a
 *    run has tens of goals, not thousands. The plain percentile interval is too narrow at that size
 *    (89.5 % coverage at 10 goals in our simulation), so its tail levels are expanded the way
 *    Hesterberg recommends: to what a t interval with the √(n/(n−1)) correction would use;
 *  - the minimum detectable effect says what a run of this size could have detected at all.
 * Scores arrive per trial as `number | 'failed' | 'infra'`: failures are statuses, never fake
 * scores; the "failures as zero" convention is computed here, explicitly, from the statuses.
 */

import jstat from 'jstat'

const { jStat } = jstat

export type TrialScore = number | 'failed' | 'infra'

type Convention = 'successes' | 'failures_as_zero'

/** Mean score of one (model, condition, goal) cell under a convention; undefined when nothing counts. */
export function cellMean(samples: TrialScore[], convention: Convention): number | undefined {
  const counted = samples.filter((s) => s !== 'infra') // infrastructure failures are nobody's score
  const values = counted.flatMap((s) => (typeof s === 'number' ? [s] : convention === 'failures_as_zero' ? [0] : []))
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined
}

/** A small, fast, seeded PRNG (mulberry32): bootstrap intervals must be reproducible run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

function sd(xs: number[]): number {
  if (xs.length < 2) return 0
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1))
}

function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low)
}

export interface PairedDelta {
  /** Mean over paired goals of (with − without). */
  delta: number
  ci: [number, number]
  /** Goals with a score in both conditions. */
  n: number
  /** Goals that could not be paired (a side had no countable trial). */
  unpaired: number
  sdDiff: number
  /** Minimum detectable effect at α = 0.05 (two-sided) and power 0.8; infinite with a single goal. */
  mde: number
  meanWith: number
  meanWithout: number
}

interface DeltaOptions {
  convention: Convention
  resamples?: number
  confidence?: number
  seed?: number
}

/**
 * Tail probability for the expanded percentile bootstrap (Hesterberg 2015): Φ(−√(n/(n−1))·t_{1−α/2, n−1}).
 * At n = 10 and 95 % it takes the 0.86 % and 99.14 % quantiles instead of 2.5 % and 97.5 %.
 */
export function expandedTail(confidence: number, n: number): number {
  const alphaHalf = (1 - confidence) / 2
  if (n < 2) return alphaHalf
  return jStat.normal.cdf(-Math.sqrt(n / (n - 1)) * jStat.studentt.inv(1 - alphaHalf, n - 1), 0, 1)
}

const POWER = 0.8

/**
 * Minimum detectable effect of a paired comparison over n goals: (t_{1−α/2} + t_{power})·sd/√n with
 * n − 1 degrees of freedom (z quantiles understate it by about 12 % at 10 goals).
 */
function minimumDetectableEffect(sdDiff: number, n: number, confidence = 0.95): number {
  if (n < 2) return Number.POSITIVE_INFINITY
  const dof = n - 1
  return ((jStat.studentt.inv(1 - (1 - confidence) / 2, dof) + jStat.studentt.inv(POWER, dof)) * sdDiff) / Math.sqrt(n)
}

/**
 * Paired Δ between two conditions. `withSkills` and `without` map goal id → that goal's trial scores.
 * Returns undefined when no goal can be paired.
 */
export function pairedDelta(
  withSkills: Map<string, TrialScore[]>,
  without: Map<string, TrialScore[]>,
  options: DeltaOptions,
): PairedDelta | undefined {
  const pairs: { with: number; without: number }[] = []
  let unpaired = 0
  for (const goal of new Set([...withSkills.keys(), ...without.keys()])) {
    const a = cellMean(withSkills.get(goal) ?? [], options.convention)
    const b = cellMean(without.get(goal) ?? [], options.convention)
    if (a === undefined || b === undefined) unpaired += 1
    else pairs.push({ with: a, without: b })
  }
  if (pairs.length === 0) return undefined
  const diffs = pairs.map((p) => p.with - p.without)
  const random = seededRandom(options.seed ?? 20_261_123)
  const resamples = options.resamples ?? 2000
  const confidence = options.confidence ?? 0.95
  const boot: number[] = []
  for (let r = 0; r < resamples; r++) {
    let sum = 0
    for (let i = 0; i < diffs.length; i++) sum += diffs[Math.floor(random() * diffs.length)]!
    boot.push(sum / diffs.length)
  }
  boot.sort((x, y) => x - y)
  const tail = expandedTail(confidence, diffs.length)
  const sdDiff = sd(diffs)
  return {
    delta: mean(diffs),
    ci: [quantile(boot, tail), quantile(boot, 1 - tail)],
    n: pairs.length,
    unpaired,
    sdDiff,
    mde: minimumDetectableEffect(sdDiff, pairs.length, confidence),
    meanWith: mean(pairs.map((p) => p.with)),
    meanWithout: mean(pairs.map((p) => p.without)),
  }
}

/** Share of trials that produced an executed notebook, over trials that were not infrastructure failures. */
export function successRate(samples: TrialScore[]): number | undefined {
  const counted = samples.filter((s) => s !== 'infra')
  return counted.length ? counted.filter((s) => typeof s === 'number').length / counted.length : undefined
}
