import { describe, expect, test } from 'vitest'
import {
  cellMean,
  expandedTail,
  pairedDelta,
  seededRandom,
  successRate,
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
    const base = { a: 1, b: 3, c: 5, d: 2.5 }
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

  // 1000 studies give about ±1.4 % (2 SE) of sampling noise around the true coverage. Measured with
  // 2000 studies: plain percentile 89.8 % (10 goals) and 93.1 % (30); expanded 94.75 % and 94.7 %.
  test.for([30, 10])(
    'with %i goals the nominal 95 percent interval covers the true Δ in 93–97 percent of simulated studies',
    (goals) => {
      const covered = coverage(goals, 1000)
      expect(covered).toBeGreaterThan(0.93)
      expect(covered).toBeLessThan(0.97)
    },
  )

  test('the expanded tails are the plain ones for many goals and wider for few', () => {
    expect(expandedTail(0.95, 10_000)).toBeCloseTo(0.025, 3)
    expect(expandedTail(0.95, 10)).toBeCloseTo(0.0086, 3)
    expect(expandedTail(0.95, 1)).toBeCloseTo(0.025, 10)
  })
})
