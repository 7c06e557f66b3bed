import { describe, expect, test } from 'vitest'
import jstat from 'jstat'
import {
  cellMean,
  goalsNeeded,
  holm,
  meanInterval,
  minimumDetectableEffect,
  minimumGoalsForTest,
  pairedDelta,
  seededRandom,
  signFlipTest,
  successRate,
  summarise,
  varianceComponents,
  type TrialScore,
} from '../src/harness/report/stats.ts'

const cells = (entries: Record<string, TrialScore[]>) => new Map(Object.entries(entries))

describe('cell means under both conventions', () => {
  test('failures are excluded or counted as zero; infra failures never count', () => {
    const samples: TrialScore[] = [4, 'failed', 2, 'infra']
    expect(cellMean(samples, 'successes')).toBe(3)
    expect(cellMean(samples, 'failures_as_zero')).toBe(2)
    expect(cellMean(['infra', 'infra'], 'failures_as_zero')).toBeUndefined()
    expect(cellMean(['failed'], 'successes')).toBeUndefined()
    expect(successRate(samples)).toBeCloseTo(2 / 3)
  })
})

describe('paired skill Δ', () => {
  test('Δ is the mean of per-goal differences, samples averaged within a goal first', () => {
    // goal a: with (4+2)/2 = 3, without 1 → +2; goal b: with 5, without (3+5)/2 = 4 → +1
    const result = pairedDelta(cells({ a: [4, 2], b: [5] }), cells({ a: [1], b: [3, 5] }), { convention: 'successes' })
    expect(result?.delta).toBe(1.5)
    expect(result?.n).toBe(2)
    expect(result?.meanWith).toBe(4)
    expect(result?.meanWithout).toBe(2.5)
  })

  test('the two conventions differ exactly where failures are', () => {
    const withSkills = cells({ a: [4], b: ['failed'], c: [3] })
    const without = cells({ a: [2], b: [2], c: [3] })
    expect(pairedDelta(withSkills, without, { convention: 'successes' })).toMatchObject({ delta: 1, n: 2, unpaired: 1 })
    expect(pairedDelta(withSkills, without, { convention: 'failures_as_zero' })).toMatchObject({
      delta: 0,
      n: 3,
      unpaired: 0,
    })
  })

  test('a constant difference has a zero-width interval and zero MDE; pairing removes goal difficulty', () => {
    // goals differ wildly in difficulty, but skills add exactly 0.5 everywhere
    const base = { a: 1, b: 3, c: 5, d: 2.5, e: 4 }
    const result = pairedDelta(
      cells(Object.fromEntries(Object.entries(base).map(([g, v]) => [g, [v + 0.5]]))),
      cells(Object.fromEntries(Object.entries(base).map(([g, v]) => [g, [v]]))),
      { convention: 'successes' },
    )
    expect(result).toMatchObject({ delta: 0.5, ci: [0.5, 0.5], sdDiff: 0, mde: 0 })
  })

  test('the interval is reproducible (seeded) and the MDE follows (t_{1−α/2} + t_{0.8})·sd/√n with n − 1 df', () => {
    const withSkills = cells({ a: [3], b: [4], c: [2], d: [5], e: [3] })
    const without = cells({ a: [2], b: [4], c: [1], d: [3], e: [3] })
    const first = pairedDelta(withSkills, without, { convention: 'successes' })!
    const second = pairedDelta(withSkills, without, { convention: 'successes' })!
    expect(first.ci).toEqual(second.ci)
    expect(first.delta).toBeCloseTo(0.8)
    expect(first.ci[0]).toBeLessThanOrEqual(first.delta)
    expect(first.ci[1]).toBeGreaterThanOrEqual(first.delta)
    // diffs 1, 0, 1, 2, 0 → sd = 0.8367
    expect(first.sdDiff).toBeCloseTo(0.83666, 4)
    // t quantiles at 4 df: 2.776 (α/2 = 0.025) and 0.941 (power 0.8)
    expect(first.mde).toBeCloseTo(((2.776445 + 0.940965) * 0.83666) / Math.sqrt(5), 3)
  })

  test('no pairable goal gives no Δ rather than a made-up one', () => {
    expect(pairedDelta(cells({ a: ['failed'] }), cells({ a: [3] }), { convention: 'successes' })).toBeUndefined()
  })

  /** Share of simulated studies whose 95 % interval covers the true Δ (3 samples per cell, noise sd 0.8). */
  function coverage(goals: number, studies: number): number {
    const random = seededRandom(7)
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    let covered = 0
    for (let s = 0; s < studies; s++) {
      const withSkills = new Map<string, TrialScore[]>()
      const without = new Map<string, TrialScore[]>()
      for (let g = 0; g < goals; g++) {
        const difficulty = 3 + normal()
        without.set(
          `g${g}`,
          [0, 1, 2].map(() => difficulty + 0.8 * normal()),
        )
        withSkills.set(
          `g${g}`,
          [0, 1, 2].map(() => difficulty + 0.3 + 0.8 * normal()),
        )
      }
      const result = pairedDelta(withSkills, without, { convention: 'successes', resamples: 1000, seed: s })!
      if (result.ci[0] <= 0.3 && 0.3 <= result.ci[1]) covered += 1
    }
    return covered / studies
  }

  // Normal scores (the judge's scale), a second data-generating process beside test/simulation.test.ts.
  // 1000 studies give about ±1.4 % (2 SE) of sampling noise around the true coverage.
  test.for([30, 10])(
    'with %i goals the nominal 95 percent interval covers the true Δ in 93–97 percent of simulated studies',
    (goals) => {
      const covered = coverage(goals, 1000)
      expect(covered).toBeGreaterThan(0.93)
      expect(covered).toBeLessThan(0.97)
    },
  )
})

describe('the sign-flip permutation test (hand-computed)', () => {
  test('3 goals: only the all-plus and all-minus patterns reach |Σ| = 6, so p = 2/8; one-sided 1/8', () => {
    expect(signFlipTest([1, 2, 3])).toEqual({ p: 0.25, method: 'exact', patterns: 8 })
    expect(signFlipTest([1, 2, 3], { alternative: 'greater' }).p).toBe(0.125)
  })

  test('ties count as extreme: d = (1, −1, 2, 0.5), Σ = 2.5; 8 of the 16 sums have |Σ| ≥ 2.5', () => {
    // ±1±1±2±0.5 ≥ 2.5: 4.5, 3.5, 2.5, 2.5, and their four mirror images
    expect(signFlipTest([1, -1, 2, 0.5]).p).toBe(0.5)
    expect(signFlipTest([0.1, 0.2, 0.3].map((x) => x * 3)).p).toBe(0.25) // rounding does not break ties
  })

  test('5 goals can never reach p < 0.05 (2/32); 6 goals can (2/64): the floor the planner uses', () => {
    expect(signFlipTest([1, 1, 1, 1, 1]).p).toBe(0.0625)
    expect(signFlipTest([1, 1, 1, 1, 1, 1]).p).toBe(0.03125)
    expect(minimumGoalsForTest()).toBe(6)
  })

  test('above 16 goals: seeded Monte Carlo, p = (1 + k)/(1 + B), close to the exact enumeration', () => {
    const random = seededRandom(5)
    const diffs = Array.from({ length: 17 }, () => random() - 0.4)
    // the exact p by brute force over all 2^17 patterns
    const observed = Math.abs(diffs.reduce((a, b) => a + b, 0))
    let extreme = 0
    for (let mask = 0; mask < 2 ** 17; mask++) {
      const t = diffs.reduce((sum, d, i) => sum + (mask & (1 << i) ? d : -d), 0)
      if (Math.abs(t) >= observed - 1e-9) extreme += 1
    }
    const exact = extreme / 2 ** 17
    const mc = signFlipTest(diffs)
    expect(mc.method).toBe('monte carlo')
    expect(mc.p).toBeCloseTo(exact, 2)
    expect(signFlipTest(diffs)).toEqual(mc) // seeded
    expect(signFlipTest(Array.from({ length: 20 }, () => 1)).p).toBe(1 / 10_001)
  })
})

describe('Holm', () => {
  test('step-down by hand: (0.01, 0.04, 0.03, 0.5) → (0.04, 0.09, 0.09, 0.5)', () => {
    // sorted 0.01·4 = 0.04; 0.03·3 = 0.09; 0.04·2 = 0.08 → kept monotone at 0.09; 0.5·1
    const adjusted = holm([0.01, 0.04, 0.03, 0.5])
    expect(adjusted.map((p) => +p.toFixed(10))).toEqual([0.04, 0.09, 0.09, 0.5])
    expect(holm([0.6, 0.7])).toEqual([1, 1])
    expect(holm([])).toEqual([])
  })
})

describe('variance components and the ICC of samples within goals (hand-computed)', () => {
  const cell = (...xs: number[]) => summarise(xs, 'successes')!

  test('goal 1: A (1, 1) B (0, 0); goal 2: A (0, 0) B (0, 0); goal 3: A (1, 0) B (0, 0)', () => {
    // within: A pooled (0 + 0 + 0.5)/3 = 1/6, B 0 → σ²_w = 1/6; d = (1, 0, 0.5): var 0.25;
    // σ²_τ = 0.25 − mean(1/6 / 2 + 0) = 0.25 − 1/12 = 1/6; ICC = (1/6)/(1/6 + 1/6) = 0.5
    const v = varianceComponents([
      { a: cell(1, 1), b: cell(0, 0) },
      { a: cell(0, 0), b: cell(0, 0) },
      { a: cell(1, 0), b: cell(0, 0) },
    ])
    expect(v.sample).toBeCloseTo(1 / 6, 12)
    expect(v.goal).toBeCloseTo(1 / 6, 12)
    expect(v.icc).toBeCloseTo(0.5, 12)
  })

  test('the same difference on every goal: all variance is sample noise, ICC 0', () => {
    // A (1, 0), B (0, 0) and A (1, 1), B (1, 0): d = 0.5 twice; σ²_w = 0.25 + 0.25
    const v = varianceComponents([
      { a: cell(1, 0), b: cell(0, 0) },
      { a: cell(1, 1), b: cell(1, 0) },
    ])
    expect(v).toEqual({ goal: 0, sample: 0.5, icc: 0 })
  })

  test('one sample per cell: the split is unknown and no ICC is claimed', () => {
    expect(
      varianceComponents([
        { a: cell(1), b: cell(0) },
        { a: cell(0), b: cell(0) },
      ]),
    ).toEqual({})
  })

  test('pairedDelta carries them, with the samples per cell', () => {
    const result = pairedDelta(
      new Map([
        ['g1', [1, 1]],
        ['g2', [0, 0]],
        ['g3', [1, 0]],
      ]),
      new Map([
        ['g1', [0, 0]],
        ['g2', [0, 0]],
        ['g3', [0, 0]],
      ]),
      { convention: 'successes' },
    )!
    expect(result.samples).toBe(2)
    expect(result.variance.icc).toBeCloseTo(0.5, 12)
  })
})

describe('the bootstrap-t interval', () => {
  test('fewer than 5 goals: unbounded, and says so', () => {
    expect(meanInterval([0.3])).toEqual({ mean: 0.3, ci: [-Infinity, Infinity], method: 'none (fewer than 5 goals)' })
    expect(meanInterval([0, 1, 0.5, 0.25]).ci).toEqual([-Infinity, Infinity])
    expect(meanInterval([0, 1, 0.5, 0.25, 1]).method).toBe('bootstrap-t')
  })

  test('discrete scores: a resample that drew one value n times is floored at s/n, not made infinite', () => {
    // 12 goals improving by 0.5 (9 goals) or 0.25 (3): 3.2 % of resamples draw a single value
    const diffs = [...Array(9).fill(0.5), ...Array(3).fill(0.25)]
    const { mean, ci } = meanInterval(diffs)
    expect(mean).toBe(0.4375)
    expect(ci[0]).toBeGreaterThan(0.2)
    expect(ci[1]).toBeLessThanOrEqual(0.5 + 1e-12)
    // the floor: the all-0.5 resample has t* = (0.5 − 0.4375)/(s/12) with s = 0.1131 → 6.63, beyond the
    // 97.5 % quantile of the other t*; so the lower bound is at least 0.4375 − 6.63·s/√12 = 0.221
    const s = Math.sqrt(diffs.reduce((a, x) => a + (x - mean) ** 2, 0) / 11)
    expect(ci[0]).toBeGreaterThanOrEqual(mean - ((0.5 - mean) / (s / 12)) * (s / Math.sqrt(12)) - 1e-12)
    // thirds are not exact in binary: rounding in the sums of squares must not pass for spread
    const third = [...Array(9).fill(2 / 3), ...Array(3).fill(1 / 3)]
    const thirds = meanInterval(third).ci
    const m3 = third.reduce((a, x) => a + x, 0) / 12
    const s3 = Math.sqrt(third.reduce((a, x) => a + (x - m3) ** 2, 0) / 11)
    // no lower than the floor allows (a resample of twelve 2/3 studentized by s/n, not by rounding noise)
    expect(thirds[0]).toBeGreaterThanOrEqual(m3 - ((2 / 3 - m3) / (s3 / 12)) * (s3 / Math.sqrt(12)) - 1e-9)
    expect(thirds[0]).toBeGreaterThan(0.29)
    expect(thirds[1]).toBeLessThan(2 / 3 + 1e-9)
  })

  test('equal values: a zero-width interval; symmetric data: close to the t interval', () => {
    const flat = meanInterval([0.2, 0.2, 0.2, 0.2, 0.2]).ci
    expect(flat[0]).toBe(flat[1])
    expect(flat[0]).toBeCloseTo(0.2, 12)
    // 25 evenly spread values around 0: the t interval is mean ± t_{0.975,24}·s/√25
    const values = Array.from({ length: 25 }, (_, i) => (i + 0.5) / 25 - 0.5)
    const s = Math.sqrt(values.reduce((a, x) => a + x * x, 0) / 24)
    const half = (jstat.jStat.studentt.inv(0.975, 24) * s) / 5
    const { ci } = meanInterval(values)
    expect(ci[0] / -half).toBeCloseTo(1, 1)
    expect(ci[1] / half).toBeCloseTo(1, 1)
  })
})

describe('planning', () => {
  test('goals needed: the smallest n whose MDE reaches the effect, never below 6 goals', () => {
    const n = goalsNeeded(0.1, 0.3)
    expect(minimumDetectableEffect(0.3, n)).toBeLessThanOrEqual(0.1)
    expect(minimumDetectableEffect(0.3, n - 1)).toBeGreaterThan(0.1)
    // normal theory: ((1.96 + 0.84)·0.3/0.1)² ≈ 70.6; t quantiles ask for a few more goals
    expect(n).toBeGreaterThan(70)
    expect(n).toBeLessThan(76)
    expect(goalsNeeded(0.5, 0)).toBe(6)
    expect(goalsNeeded(1e-6, 1)).toBe(Infinity)
  })
})
