/**
 * Skill Δ and its uncertainty, the way the study design asks (see README "Statistics" and
 * ../shared/notes/evaluation-and-statistics.md). Estimators only; reports decide what to compare.
 *  - Goals are the unit. The samples of a cell are summarised within the goal first (n, mean, sum of
 *    squares), and every resampling works on those per-goal summaries, never on records.
 *  - Δ is PAIRED by goal: d_g = mean_with(g) − mean_without(g).
 *  - The test is a sign-flip permutation test of the per-goal differences: exact (every one of the
 *    2^n sign patterns) up to 16 goals, seeded Monte Carlo above. It is exact in level whenever d_g is
 *    symmetric under the null, which holds when the two arms are exchangeable within a goal.
 *  - The 95 % interval: the studentized bootstrap (bootstrap-t) over goals; each result names its
 *    method. Validated by simulation in test/simulation.test.ts (the table is in the README).
 *  - The intraclass correlation of samples within goals and the variance components say whether more
 *    samples or more goals would narrow the interval; the minimum detectable effect says what a run of
 *    this size could detect at all.
 * Scores arrive per trial as `number | 'failed' | 'infra'`: failures are statuses, never fake
 * scores; the "failures as zero" convention is computed here, explicitly, from the statuses.
 */

import jstat from 'jstat'

const { jStat } = jstat

export type TrialScore = number | 'failed' | 'infra'

type Convention = 'successes' | 'failures_as_zero'

/** The countable values of one cell under a convention (infrastructure failures are nobody's score). */
function cellValues(samples: TrialScore[], convention: Convention): number[] {
  const values: number[] = []
  for (const s of samples) {
    if (typeof s === 'number') values.push(s)
    else if (s === 'failed' && convention === 'failures_as_zero') values.push(0)
  }
  return values
}

/** Mean score of one (model, condition, goal) cell under a convention; undefined when nothing counts. */
export function cellMean(samples: TrialScore[], convention: Convention): number | undefined {
  return summarise(samples, convention)?.mean
}

/** One goal's cell as the statistics use it: sample count, mean, and sum of squared deviations. */
export interface GoalSummary {
  n: number
  mean: number
  ss: number
}

export function summarise(samples: TrialScore[], convention: Convention): GoalSummary | undefined {
  const values = cellValues(samples, convention)
  if (values.length === 0) return undefined
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  return { n: values.length, mean, ss: values.reduce((a, x) => a + (x - mean) ** 2, 0) }
}

/** A small, fast, seeded PRNG (mulberry32): intervals and tests must be reproducible run to run. */
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

const DEFAULT_SEED = 20_261_123

const mean = (xs: ArrayLike<number>): number => {
  let sum = 0
  for (let i = 0; i < xs.length; i++) sum += xs[i]!
  return sum / xs.length
}

function sd(xs: ArrayLike<number>): number {
  if (xs.length < 2) return 0
  const m = mean(xs)
  let ss = 0
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - m) ** 2
  return Math.sqrt(ss / (xs.length - 1))
}

/** Up to this many goals the sign-flip test enumerates every sign pattern (2^16 = 65 536). */
export const EXACT_FLIPS_UP_TO = 16

/**
 * Fewer goals than this get no interval (it is reported unbounded): in our simulation the bootstrap-t
 * covered only 84.5–94.3 % at 3–4 goals. The sign-flip test cannot reach p < 0.05 below 6 goals either.
 */
export const MIN_GOALS_FOR_INTERVAL = 5

export type IntervalMethod = 'bootstrap-t' | 'none (fewer than 5 goals)'

export interface MeanInterval {
  mean: number
  ci: [number, number]
  method: IntervalMethod
}

interface IntervalOptions {
  confidence?: number
  resamples?: number
  seed?: number
}

/**
 * Recently used draws, by what they depend on (how many values, how many draws, the seed): every
 * interval of a report resamples the same number of goals with the same seed, so the indices (or sign
 * patterns) are drawn once and every cell's values are summed along them. The numbers are the same
 * as drawing afresh; a report of 1 000 goals draws 2 000 × 1 000 indices once instead of ~200 times.
 */
class Draws<T> {
  private readonly kept = new Map<string, T>()
  constructor(private readonly capacity: number) {}

  get(key: string, draw: () => T): T {
    let found = this.kept.get(key)
    if (found) this.kept.delete(key)
    else found = draw()
    this.kept.set(key, found) // most recent last
    if (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!)
    return found
  }
}
const resampleIndices = new Draws<Uint32Array>(4)
const signPatterns = new Draws<Uint8Array>(4)

/**
 * The indices of `resamples` resamples of n values, resample after resample. The PRNG is mulberry32
 * (as seededRandom) and each 32-bit draw gives two indices of 16 bits (the relative bias is at most
 * n/65 536: 0.06 % at 40 goals; above 4 096 values each index takes a full draw).
 */
function drawIndices(n: number, resamples: number, seed: number): Uint32Array {
  const indices = new Uint32Array(n * resamples)
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  const wide = n > 4096
  let k = 0
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      if (wide) indices[k++] = Math.floor((next() / 4294967296) * n)
      else {
        const bits = next()
        indices[k++] = ((bits & 0xffff) * n) >>> 16
        if (++i >= n) break
        indices[k++] = ((bits >>> 16) * n) >>> 16
      }
    }
  }
  return indices
}

/** One element type in the hot loops: arrays and typed arrays through one path would slow both down. */
const asFloats = (values: ArrayLike<number>): Float64Array =>
  values instanceof Float64Array ? values : Float64Array.from(values)

/** Resampled sums and sums of squares of `values`, `resamples` times: the hot loop of every report. */
function resample(
  values: Float64Array,
  resamples: number,
  seed: number,
): { sums: Float64Array; squares: Float64Array } {
  const sums = new Float64Array(resamples)
  const squares = new Float64Array(resamples)
  const n = values.length
  const indices = resampleIndices.get(`${n} ${resamples} ${seed}`, () => drawIndices(n, resamples, seed))
  let k = 0
  for (let r = 0; r < resamples; r++) {
    let sum = 0
    let sumSq = 0
    for (let i = 0; i < n; i++) {
      const x = values[indices[k++]!]!
      sum += x
      sumSq += x * x
    }
    sums[r] = sum
    squares[r] = sumSq
  }
  return { sums, squares }
}

/**
 * A 95 % (by default) confidence interval for the mean of per-goal values (per-goal differences, or
 * one cell's per-goal means) by the studentized bootstrap (bootstrap-t): resample goals, studentize
 * each resample's mean by its own standard error s* / √n (analytic for a mean, so no inner
 * bootstrap), and invert the quantiles of t*, taken at the conservative order statistics (the lower
 * one for the lower tail, the upper one for the upper tail). Scores are discrete, so a resample can
 * draw one value n times and have no spread: its standard error is floored at s/n (one n-th of the
 * sample's standard deviation; otherwise 12 goals improving by 0.25 or 0.5 each gave an unbounded
 * interval, from the 3 % of resamples that drew a single value). Fewer than MIN_GOALS_FOR_INTERVAL
 * goals: unbounded. In our simulation (README) it covers 93.8–95.9 % from 5 to 40 goals, where the
 * expanded percentile bootstrap it replaced covered 91 % at 5 goals and 92.8 % at 40 goals × 2 samples.
 */
export function meanInterval(given: ArrayLike<number>, options: IntervalOptions = {}): MeanInterval {
  const values = asFloats(given)
  const n = values.length
  const m = mean(values)
  if (n < MIN_GOALS_FOR_INTERVAL) return { mean: m, ci: [-Infinity, Infinity], method: 'none (fewer than 5 goals)' }
  const confidence = options.confidence ?? 0.95
  const resamples = options.resamples ?? 2000
  const s = sd(values)
  if (s === 0) return { mean: m, ci: [m, m], method: 'bootstrap-t' }
  const se = s / Math.sqrt(n)
  // below this a resample's standard error is rounding error (one-pass sums of squares), not spread
  const tiny = 1e-7 * se
  const { sums, squares } = resample(values, resamples, options.seed ?? DEFAULT_SEED)
  // a resample whose values are all equal has no spread of its own: it is studentized by the floor s/n
  const floor = s / n
  const boot = new Float64Array(resamples)
  for (let r = 0; r < resamples; r++) {
    const bm = sums[r]! / n
    const bse = Math.sqrt(Math.max(0, (squares[r]! - n * bm * bm) / (n - 1)) / n)
    boot[r] = (bm - m) / (bse > tiny ? bse : floor)
  }
  boot.sort()
  const alphaHalf = (1 - confidence) / 2
  const upper = boot[Math.ceil((resamples - 1) * (1 - alphaHalf))]!
  const lower = boot[Math.floor((resamples - 1) * alphaHalf)]!
  return { mean: m, ci: [m - upper * se, m - lower * se], method: 'bootstrap-t' }
}

export interface SignFlip {
  p: number
  /** 'exact' (all 2^n sign patterns) or 'monte carlo' (seeded random patterns, p = (1 + k)/(1 + B)). */
  method: 'exact' | 'monte carlo'
  patterns: number
}

interface SignFlipOptions {
  /** two-sided: H0 mean 0 vs ≠ 0; greater: H0 mean ≤ 0 vs > 0. */
  alternative?: 'two-sided' | 'greater'
  /** Random sign patterns above EXACT_FLIPS_UP_TO goals. */
  flips?: number
  seed?: number
}

/**
 * Sign-flip permutation test of per-goal differences: under H0 each d_g is as likely to be −d_g, so
 * the observed sum is compared with the sums of every sign pattern. With n goals the smallest
 * two-sided p is 2/2^n: 5 goals can never reach p < 0.05 (2/32 = 0.0625), 6 can (0.031).
 */
export function signFlipTest(given: ArrayLike<number>, options: SignFlipOptions = {}): SignFlip {
  const diffs = asFloats(given)
  const n = diffs.length
  const twoSided = (options.alternative ?? 'two-sided') === 'two-sided'
  let observed = 0
  let scale = 0
  for (let i = 0; i < n; i++) {
    observed += diffs[i]!
    scale += Math.abs(diffs[i]!)
  }
  const eps = 1e-9 * Math.max(1, scale) // ties: equal sums must compare equal despite rounding
  const extreme = (t: number) => (twoSided ? Math.abs(t) >= Math.abs(observed) - eps : t >= observed - eps)
  if (n <= EXACT_FLIPS_UP_TO) {
    // Gray code: each step flips one sign, so each pattern costs O(1)
    const total = 2 ** n
    const signs = new Int8Array(n).fill(1)
    let t = observed
    let count = extreme(t) ? 1 : 0
    for (let k = 1; k < total; k++) {
      const bit = 31 - Math.clz32(k & -k)
      t -= 2 * signs[bit]! * diffs[bit]!
      signs[bit] = -signs[bit]!
      if (extreme(t)) count += 1
    }
    return { p: count / total, method: 'exact', patterns: total }
  }
  // sums over chunks of 8 goals for every one of their 256 sign patterns: one lookup per 8 goals
  const chunks = Math.ceil(n / 8)
  const table = new Float64Array(chunks * 256)
  for (let c = 0; c < chunks; c++) {
    const size = Math.min(8, n - 8 * c)
    let allMinus = 0
    for (let j = 0; j < size; j++) allMinus -= diffs[8 * c + j]!
    table[c * 256] = allMinus
    for (let mask = 1; mask < 1 << size; mask++) {
      const low = 31 - Math.clz32(mask & -mask)
      table[c * 256 + mask] = table[c * 256 + (mask & (mask - 1))]! + 2 * diffs[8 * c + low]!
    }
  }
  const flips = options.flips ?? 10_000
  const seed = options.seed ?? DEFAULT_SEED
  const patterns = signPatterns.get(`${n} ${flips} ${seed}`, () => drawSignPatterns(n, flips, seed))
  let count = 0
  let k = 0
  for (let b = 0; b < flips; b++) {
    let t = 0
    for (let c = 0; c < chunks; c++) t += table[c * 256 + patterns[k++]!]!
    if (extreme(t)) count += 1
  }
  return { p: (1 + count) / (1 + flips), method: 'monte carlo', patterns: flips }
}

/** The sign pattern of each chunk of 8 goals, flip after flip: one random byte per chunk (seededRandom). */
function drawSignPatterns(n: number, flips: number, seed: number): Uint8Array {
  const chunks = Math.ceil(n / 8)
  const patterns = new Uint8Array(flips * chunks)
  const random = seededRandom(seed)
  let k = 0
  for (let b = 0; b < flips; b++) {
    let bits = 0
    for (let c = 0; c < chunks; c++) {
      if (c % 4 === 0) bits = (random() * 4294967296) >>> 0
      patterns[k++] = ((bits >>> (8 * (c % 4))) & 0xff) % (1 << Math.min(8, n - 8 * c))
    }
  }
  return patterns
}

/** Holm's step-down adjustment of p-values (the family is whatever the caller passes), in input order. */
export function holm(ps: number[]): number[] {
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0])
  const adjusted = new Array<number>(ps.length)
  let running = 0
  order.forEach(([p, index], rank) => {
    running = Math.max(running, Math.min(1, (ps.length - rank) * p))
    adjusted[index] = running
  })
  return adjusted
}

/**
 * Where the variance of a paired comparison comes from, by the method of moments (one-way ANOVA):
 *  - sample: σ²_w, the within-goal variance of a single-sample difference (arm A's plus arm B's
 *    pooled within-goal variances; one arm's for both when only one has replicates);
 *  - goal: σ²_τ, the between-goal variance of the true per-goal Δ = var(d_g) − mean_g(σ²_wA/n_A + σ²_wB/n_B),
 *    floored at 0;
 *  - icc = σ²_τ / (σ²_τ + σ²_w): the intraclass correlation of samples within goals. Near 1: samples of
 *    a goal agree, more goals (not samples) narrow the interval; near 0: sample noise dominates.
 * With one sample per cell σ²_w cannot be separated: sample and icc are undefined.
 */
export interface VarianceComponents {
  goal?: number
  sample?: number
  icc?: number
}

export function varianceComponents(pairs: { a: GoalSummary; b: GoalSummary }[]): VarianceComponents {
  const pooled = (side: 'a' | 'b') => {
    let ss = 0
    let df = 0
    for (const pair of pairs) {
      ss += pair[side].ss
      df += pair[side].n - 1
    }
    return df > 0 ? ss / df : undefined
  }
  const wa = pooled('a') ?? pooled('b')
  const wb = pooled('b') ?? pooled('a')
  if (wa === undefined || wb === undefined) return {} // one sample per cell: nothing to separate
  const sample = wa + wb
  if (pairs.length < 2) return { sample }
  const observed = sd(pairs.map((p) => p.a.mean - p.b.mean)) ** 2
  const goal = Math.max(0, observed - mean(pairs.map((p) => wa / p.a.n + wb / p.b.n)))
  return { goal, sample, ...(goal + sample > 0 ? { icc: goal / (goal + sample) } : {}) }
}

const POWER = 0.8

/**
 * Minimum detectable effect of a paired comparison over n goals: (t_{1−α/2} + t_{power})·sd/√n with
 * n − 1 degrees of freedom (z quantiles understate it by about 12 % at 10 goals).
 */
export function minimumDetectableEffect(sdDiff: number, n: number, confidence = 0.95, power = POWER): number {
  if (n < 2) return Number.POSITIVE_INFINITY
  const dof = n - 1
  return ((jStat.studentt.inv(1 - (1 - confidence) / 2, dof) + jStat.studentt.inv(power, dof)) * sdDiff) / Math.sqrt(n)
}

/** The fewest goals at which the sign-flip test can reach two-sided p < α at all: 2/2^n < α. */
export function minimumGoalsForTest(confidence = 0.95): number {
  return Math.ceil(Math.log2(2 / (1 - confidence)) + 1e-9)
}

/**
 * Goals needed to detect `effect` with the given power, when a goal's difference has standard
 * deviation `sdDiff` (the MDE formula solved for n, and never fewer than minimumGoalsForTest).
 */
export function goalsNeeded(effect: number, sdDiff: number, power = POWER, confidence = 0.95, cap = 100_000): number {
  const floor = Math.max(2, minimumGoalsForTest(confidence))
  if (sdDiff === 0) return floor
  for (let n = floor; n <= cap; n++) if (minimumDetectableEffect(sdDiff, n, confidence, power) <= effect) return n
  return Number.POSITIVE_INFINITY
}

export interface PairedDelta {
  /** Mean over paired goals of (with − without). */
  delta: number
  /** The 95 % interval; ±Infinity when it is unbounded (fewer than 5 goals). */
  ci: [number, number]
  /** How the interval was made. */
  method: IntervalMethod
  /** Sign-flip permutation test of Δ = 0, two-sided. */
  p: number
  test: SignFlip['method']
  /** Goals with a score in both conditions. */
  n: number
  /** Goals that could not be paired (a side had no countable trial). */
  unpaired: number
  /** Mean countable samples per cell over the paired goals (both arms). */
  samples: number
  sdDiff: number
  /** Variance components and the intraclass correlation of samples within goals. */
  variance: VarianceComponents
  /** Minimum detectable effect at α = 0.05 (two-sided) and power 0.8; infinite with a single goal. */
  mde: number
  meanWith: number
  meanWithout: number
}

export interface DeltaOptions {
  convention: Convention
  resamples?: number
  confidence?: number
  seed?: number
}

/** Goals scored on both sides, in goal order (so shards merged in any order give the same numbers). */
export function pairGoals(
  withSkills: Map<string, TrialScore[]>,
  without: Map<string, TrialScore[]>,
  convention: Convention,
): { goals: string[]; pairs: { a: GoalSummary; b: GoalSummary }[]; unpaired: number } {
  const goals: string[] = []
  const pairs: { a: GoalSummary; b: GoalSummary }[] = []
  let unpaired = 0
  for (const goal of [...new Set([...withSkills.keys(), ...without.keys()])].sort()) {
    const a = summarise(withSkills.get(goal) ?? [], convention)
    const b = summarise(without.get(goal) ?? [], convention)
    if (a === undefined || b === undefined) unpaired += 1
    else {
      goals.push(goal)
      pairs.push({ a, b })
    }
  }
  return { goals, pairs, unpaired }
}

/** Δ, interval, test, variance components and MDE from paired per-goal summaries. */
export function comparePairs(
  pairs: { a: GoalSummary; b: GoalSummary }[],
  unpaired: number,
  options: Omit<DeltaOptions, 'convention'> = {},
): PairedDelta | undefined {
  if (pairs.length === 0) return undefined
  const diffs = Float64Array.from(pairs, (p) => p.a.mean - p.b.mean)
  const interval = meanInterval(diffs, options)
  const test = signFlipTest(diffs, options.seed === undefined ? {} : { seed: options.seed })
  const sdDiff = sd(diffs)
  return {
    delta: interval.mean,
    ci: interval.ci,
    method: interval.method,
    p: test.p,
    test: test.method,
    n: pairs.length,
    unpaired,
    samples: mean(pairs.flatMap((p) => [p.a.n, p.b.n])),
    sdDiff,
    variance: varianceComponents(pairs),
    mde: minimumDetectableEffect(sdDiff, pairs.length, options.confidence),
    meanWith: mean(pairs.map((p) => p.a.mean)),
    meanWithout: mean(pairs.map((p) => p.b.mean)),
  }
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
  const { pairs, unpaired } = pairGoals(withSkills, without, options.convention)
  return comparePairs(pairs, unpaired, options)
}

/** Share of trials that produced an executed notebook, over trials that were not infrastructure failures. */
export function successRate(samples: TrialScore[]): number | undefined {
  let counted = 0
  let produced = 0
  for (const s of samples) {
    if (s === 'infra') continue
    counted += 1
    if (typeof s === 'number') produced += 1
  }
  return counted ? produced / counted : undefined
}
