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
  // two passes over the samples themselves (no array of values): reports summarise every cell
  const zero = convention === 'failures_as_zero'
  let n = 0
  let sum = 0
  for (const s of samples) {
    if (typeof s === 'number') {
      n += 1
      sum += s
    } else if (s === 'failed' && zero) n += 1
  }
  if (n === 0) return undefined
  const mean = sum / n
  let ss = 0
  for (const s of samples) {
    if (typeof s === 'number') ss += (s - mean) ** 2
    else if (s === 'failed' && zero) ss += mean ** 2
  }
  return { n, mean, ss }
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
 * Seeded random 32-bit words (mulberry32, as seededRandom), drawn once per seed and shared by every
 * interval (and, from a second stream, every sign-flip test) of the process: resample r of n values
 * takes words r·n … r·n + n − 1, whatever n is, so a report of 200 intervals over 1 000 goals draws
 * 2 000 × 1 000 words once. A few seeds are kept, the most recently used.
 */
class RandomWords {
  private static readonly kept = new Map<number, RandomWords>()
  private words = new Uint32Array(0)
  private filled = 0
  private readonly next: () => number

  private constructor(seed: number) {
    this.next = seededRandom(seed)
  }

  static of(seed: number): RandomWords {
    let found = RandomWords.kept.get(seed)
    if (found) RandomWords.kept.delete(seed)
    else found = new RandomWords(seed)
    RandomWords.kept.set(seed, found) // most recent last
    if (RandomWords.kept.size > 4) RandomWords.kept.delete(RandomWords.kept.keys().next().value!)
    return found
  }

  /** The first `count` words of this seed's stream. */
  take(count: number): Uint32Array {
    if (count > this.words.length) {
      const grown = new Uint32Array(Math.max(count, 2 * this.words.length))
      grown.set(this.words.subarray(0, this.filled))
      this.words = grown
    }
    // seededRandom's floats are its 32-bit words divided by 2³²: multiplying back is exact
    for (let k = this.filled; k < count; k++) this.words[k] = this.next() * 4294967296
    this.filled = Math.max(this.filled, count)
    return this.words.subarray(0, count)
  }
}

/**
 * Which of n values each draw of `resamples` resamples takes, ⌊w · n / 2³²⌋ of the seed's words (a
 * relative bias of at most n / 2³²): kept for the most recent few sizes, since a report's intervals
 * mostly resample the same number of goals.
 */
function resampleIndices(n: number, resamples: number, seed: number): Uint32Array {
  const key = `${n} ${resamples} ${seed}`
  let indices = keptIndices.get(key)
  if (indices) keptIndices.delete(key)
  else {
    const words = RandomWords.of(seed).take(n * resamples)
    const scale = n / 4294967296
    indices = new Uint32Array(words.length)
    for (let k = 0; k < words.length; k++) indices[k] = words[k]! * scale
  }
  keptIndices.set(key, indices) // most recent last
  if (keptIndices.size > 4) keptIndices.delete(keptIndices.keys().next().value!)
  return indices
}
const keptIndices = new Map<string, Uint32Array>()

/** The sign-flip tests' stream of a seed: another stream than its intervals'. */
const FLIP_STREAM = 0x9e3779b9

/** One element type in the hot loops: arrays and typed arrays through one path would slow both down. */
const asFloats = (values: ArrayLike<number>): Float64Array =>
  values instanceof Float64Array ? values : Float64Array.from(values)

/**
 * Resampled sums and sums of squares of `values`, `resamples` times: the hot loop of every report.
 * Four partial sums per resample: one running sum waits on the previous addition (latency-bound);
 * four independent ones keep the core busy (1.6× faster at 1 000 goals).
 */
function resample(
  values: Float64Array,
  resamples: number,
  seed: number,
): { sums: Float64Array; squares: Float64Array } {
  const sums = new Float64Array(resamples)
  const squares = new Float64Array(resamples)
  const n = values.length
  const indices = resampleIndices(n, resamples, seed)
  const quads = n - (n % 4)
  for (let r = 0; r < resamples; r++) {
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    let q0 = 0
    let q1 = 0
    let q2 = 0
    let q3 = 0
    const start = r * n
    let k = start
    for (const stop = start + quads; k < stop; k += 4) {
      const a = values[indices[k]!]!
      const b = values[indices[k + 1]!]!
      const c = values[indices[k + 2]!]!
      const d = values[indices[k + 3]!]!
      s0 += a
      s1 += b
      s2 += c
      s3 += d
      q0 += a * a
      q1 += b * b
      q2 += c * c
      q3 += d * d
    }
    for (const stop = start + n; k < stop; k++) {
      const a = values[indices[k]!]!
      s0 += a
      q0 += a * a
    }
    sums[r] = s0 + s1 + (s2 + s3)
    squares[r] = q0 + q1 + (q2 + q3)
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
    // a last chunk of fewer than 8 goals: a random byte's extra bits are ignored
    for (let byte = 1 << size; byte < 256; byte++) table[c * 256 + byte] = table[c * 256 + (byte & ((1 << size) - 1))]!
  }
  const flips = options.flips ?? 10_000
  const seed = options.seed ?? DEFAULT_SEED
  // one random byte per chunk of 8 goals, flip after flip
  const words = RandomWords.of((seed ^ FLIP_STREAM) >>> 0).take(Math.ceil((flips * chunks) / 4))
  const patterns = new Uint8Array(words.buffer, words.byteOffset, flips * chunks)
  let count = 0
  // four partial sums per flip, as in resample(): independent additions instead of one chain
  const quads = chunks - (chunks % 4)
  for (let b = 0, k = 0; b < flips; b++) {
    let t0 = 0
    let t1 = 0
    let t2 = 0
    let t3 = 0
    let c = 0
    for (; c < quads; c += 4, k += 4) {
      t0 += table[c * 256 + patterns[k]!]!
      t1 += table[(c + 1) * 256 + patterns[k + 1]!]!
      t2 += table[(c + 2) * 256 + patterns[k + 2]!]!
      t3 += table[(c + 3) * 256 + patterns[k + 3]!]!
    }
    for (; c < chunks; c++, k++) t0 += table[c * 256 + patterns[k]!]!
    if (extreme(t0 + t1 + (t2 + t3))) count += 1
  }
  return { p: (1 + count) / (1 + flips), method: 'monte carlo', patterns: flips }
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
