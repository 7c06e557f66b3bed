import { describe, expect, test } from 'vitest'
import { markdownTable } from '../src/harness/report/table.ts'
import { monteCarloError, simulate, TRUE_DELTA } from './simulation.ts'

/**
 * The few-goal statistics hold what they promise: for 5, 10, 20 and 40 goals and 1–5 samples per
 * cell, 2 000 simulated studies each (seeded: the same numbers every run), the nominal 95 % interval
 * covers the true Δ in 93–97 % of studies and the sign-flip test rejects a true null in at most 5 %
 * (plus two Monte Carlo standard errors, ±0.97 points at 2 000 studies). The interval uses 400
 * bootstrap resamples here and the test 999 random sign patterns above 16 goals (the report: 2 000
 * and 10 000), so the simulation stays fast; fewer resamples only add noise to each study's bounds.
 */

const STUDIES = 2000
const OPTIONS = { studies: STUDIES, resamples: 400, flips: 999, seed: 13 }
const GOALS = [5, 10, 20, 40]
const SAMPLES = [1, 2, 3, 4, 5]

describe('few-goal statistics by simulation', () => {
  const cells = GOALS.flatMap((goals) => SAMPLES.map((samples) => simulate(goals, samples, OPTIONS)))

  test('the table (printed for the README)', () => {
    const percent = (x: number) => `${(100 * x).toFixed(1)} %`
    const table = markdownTable([
      ['Goals', 'Samples per cell', `Coverage of Δ = ${TRUE_DELTA}`, 'False positives (Δ = 0)', 'Interval', 'Test'],
      ...cells.map((c) => [
        String(c.goals),
        String(c.samples),
        percent(c.coverage),
        percent(c.falsePositives),
        c.interval,
        `sign-flip, ${c.test}`,
      ]),
    ])
    console.log(table)
    expect(cells).toHaveLength(20)
  })

  test.for(GOALS.flatMap((goals) => SAMPLES.map((samples) => [goals, samples] as const)))(
    '%i goals × %i samples: coverage within 93–97 %, false positives ≤ 5 % ± MC error',
    ([goals, samples]) => {
      const cell = cells.find((c) => c.goals === goals && c.samples === samples)!
      expect(cell.coverage).toBeGreaterThanOrEqual(0.93)
      expect(cell.coverage).toBeLessThanOrEqual(0.97)
      expect(cell.falsePositives).toBeLessThanOrEqual(0.05 + monteCarloError(0.05, STUDIES))
    },
  )
})
