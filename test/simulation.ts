import {
  meanInterval,
  seededRandom,
  signFlipTest,
  type IntervalMethod,
  type SignFlip,
} from '../src/harness/report/stats.ts'

/**
 * The simulation that validates the few-goal statistics (test/simulation.test.ts; its table is in the
 * README). A study: G goals, m samples per cell, two arms. Each goal has a difficulty p ~ Beta(2, 2)
 * (the median of three uniforms); a trial fails to produce a notebook with probability 0.2 (score 0,
 * failures counted as 0) and otherwise scores the share of 3 checks passed, Binomial(3, p)/3. With
 * skills a goal's p becomes p + e·(1 − p): a normalised gain e. So scores are bounded, discrete and
 * skewed, with goals of very different difficulty, like the objective score. The true Δ is
 * 0.8 · e · (1 − E p) = 0.4·e; under e = 0 the arms are exchangeable and Δ = 0.
 */

export const GAIN = 0.3
export const TRUE_DELTA = 0.4 * GAIN

interface Cell {
  goals: number
  samples: number
  studies: number
  /** Share of studies whose interval covered the true Δ (gain e = GAIN). */
  coverage: number
  /** Share of studies under no effect whose sign-flip test gave p < 0.05. */
  falsePositives: number
  interval: IntervalMethod
  test: SignFlip['method']
}

export interface SimulationOptions {
  studies: number
  /** Bootstrap resamples per interval (the report uses 2000). */
  resamples: number
  /** Random sign patterns per test above 16 goals (the report uses 10 000). */
  flips: number
  seed: number
}

export function simulate(goals: number, samples: number, options: SimulationOptions): Cell {
  const random = seededRandom(options.seed + 1000 * goals + samples)
  const trial = (p: number): number => {
    if (random() < 0.2) return 0
    return ((random() < p ? 1 : 0) + (random() < p ? 1 : 0) + (random() < p ? 1 : 0)) / 3
  }
  const difficulty = (): number => {
    const a = random()
    const b = random()
    const c = random()
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)) // median of three: Beta(2, 2)
  }
  const cellMean = (p: number): number => {
    let sum = 0
    for (let s = 0; s < samples; s++) sum += trial(p)
    return sum / samples
  }
  const diffs = new Float64Array(goals)
  const study = (gain: number): Float64Array => {
    for (let g = 0; g < goals; g++) {
      const p = difficulty()
      diffs[g] = cellMean(p + gain * (1 - p)) - cellMean(p)
    }
    return diffs
  }
  let covered = 0
  let rejected = 0
  let interval: IntervalMethod = 'bootstrap-t'
  let test: SignFlip['method'] = 'exact'
  for (let s = 0; s < options.studies; s++) {
    const seed = options.seed + s
    const ci = meanInterval(study(GAIN), { resamples: options.resamples, seed })
    if (ci.ci[0] <= TRUE_DELTA && TRUE_DELTA <= ci.ci[1]) covered += 1
    interval = ci.method
    const flip = signFlipTest(study(0), { flips: options.flips, seed })
    if (flip.p < 0.05) rejected += 1
    test = flip.method
  }
  return {
    goals,
    samples,
    studies: options.studies,
    coverage: covered / options.studies,
    falsePositives: rejected / options.studies,
    interval,
    test,
  }
}

/** Two standard errors of a proportion near `rate` over `studies` simulated studies. */
export const monteCarloError = (rate: number, studies: number): number => 2 * Math.sqrt((rate * (1 - rate)) / studies)
