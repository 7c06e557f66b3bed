import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { measurePsd, type PsdMeasurement } from '../src/harness/analysis/psd.ts'
import { psdFailures, PsdPeakCheckSchema, type PsdPeakCheck } from '../src/harness/checks/psd-peak.ts'

const failures = (m: PsdMeasurement, lo: number, hi: number, options: Partial<PsdPeakCheck> = {}) =>
  psdFailures(m, PsdPeakCheckSchema.parse({ ...options, band: [lo, hi] }))
import { tempDir, writeSignal } from './helpers.ts'

const dir = tempDir('sd-psd-')
const REGIONS = 76

/** n regions of a sine at `hz` with phase jitter and noise, TVB layout (time, sv, region, mode). */
const sines = (hz: number, seconds = 6, fs = 1000, noise = 0.2) => ({
  time: `np.arange(0, ${seconds * 1000}, ${1000 / fs})`,
  data: `(np.sin(2*np.pi*${hz}*time[:, None]/1000 + rng.uniform(0, 6.28, ${REGIONS})) + ${noise}*rng.standard_normal((time.size, ${REGIONS})))[:, None, :, None]`,
})

async function measure(
  name: string,
  signal: { time: string; data: string; setup?: string },
  band: [number, number] = [8, 12],
  extra = {},
): Promise<PsdMeasurement> {
  const file = await writeSignal(path.join(dir, `${name}.npz`), signal)
  const response = await measurePsd({ signal: file, band, ...extra })
  if (!response.ok) throw new Error(response.problem)
  return response.result
}

describe('Welch PSD on synthetic signals with known peaks', () => {
  test('a 10 Hz rhythm in all regions peaks at 10 Hz with 0.5 Hz resolution', async () => {
    const m = await measure('ten', sines(10))
    expect(m.peakHz).toBeCloseTo(10, 5)
    expect(m.resolutionHz).toBe(0.5)
    expect(m.fsHz).toBeCloseTo(1000)
    expect(m.droppedMs).toBe(1000)
    expect(m.regions).toBe(REGIONS)
    expect(m.regionsPeakingInBand).toBe(1)
    expect(m.bandPowerFraction).toBeGreaterThan(0.5)
    expect(failures(m, 8, 12)).toEqual([])
  })

  test('band-edge trap: 12.6 Hz is NOT in 8–12 Hz (a 256-sample Welch would put it in the 11.7 Hz bin)', async () => {
    const m = await measure('edge', sines(12.6))
    expect(m.peakHz).toBeCloseTo(12.5, 5)
    expect(failures(m, 8, 12)).toEqual([expect.stringContaining('outside 8–12 Hz')])
  })

  test('a peak exactly on the band edge counts as inside (inclusive band)', async () => {
    const m = await measure('on-edge', sines(8))
    expect(m.peakHz).toBeCloseTo(8, 5)
    expect(failures(m, 8, 12)).toEqual([])
  })

  test('wrong-axis trap: with more samples than regions the spectrum is taken along time (axis 0)', async () => {
    // 2-D (time, region) data; if Welch ran on the last axis it would "find" a peak across regions
    const m = await measure('two-d', {
      time: 'np.arange(0, 6000, 1.0)',
      data: `np.sin(2*np.pi*10*time[:, None]/1000) * np.linspace(0.5, 1.5, ${REGIONS})`,
    })
    expect(m.regions).toBe(REGIONS)
    expect(m.peakHz).toBeCloseTo(10, 5)
  })

  test('data stored region-first (not time-first) is refused, not misread', async () => {
    const file = await writeSignal(path.join(dir, 'transposed.npz'), {
      time: 'np.arange(0, 6000, 1.0)',
      data: `rng.standard_normal((${REGIONS}, 6000))`,
    })
    const response = await measurePsd({ signal: file, band: [8, 12] })
    expect(response).toEqual({ ok: false, problem: expect.stringContaining('must be time-first') })
  })

  test('fs comes from the time vector: 2 ms sampling (500 Hz) keeps a 10 Hz peak at 10 Hz', async () => {
    const m = await measure('fs500', sines(10, 6, 500))
    expect(m.fsHz).toBeCloseTo(500)
    expect(m.peakHz).toBeCloseTo(10, 5)
  })

  test('a peak in one loud region does not dominate the per-region-normalised mean', async () => {
    const m = await measure('loud', {
      setup: `t = np.arange(0, 6000, 1.0)`,
      time: 't',
      data: `np.concatenate([1000*np.sin(2*np.pi*20*t[:, None]/1000), np.sin(2*np.pi*10*t[:, None]/1000 + rng.uniform(0, 6.28, ${REGIONS - 1}))], axis=1)`,
    })
    expect(m.peakHz).toBeCloseTo(10, 5)
  })

  test('slow drift below the search band does not become the peak', async () => {
    const m = await measure('drift', { ...sines(10), data: `${sines(10).data} + (time/1000*5.0)[:, None, None, None]` })
    expect(m.peakHz).toBeCloseTo(10, 5)
  })

  test('a flat signal and a decaying transient are reported as such, whatever their argmax', async () => {
    const flat = await measure('flat', {
      time: 'np.arange(0, 6000, 1.0)',
      data: `1e-9*np.sin(2*np.pi*10*time[:, None]/1000) + np.zeros((1, ${REGIONS}))`,
    })
    expect(flat.peakHz).toBeCloseTo(10, 5)
    expect(failures(flat, 8, 12)).toEqual([expect.stringContaining('flat')])
    const decaying = await measure('decay', {
      time: 'np.arange(0, 6000, 1.0)',
      data: `np.exp(-time[:, None]/600) * np.sin(2*np.pi*10*time[:, None]/1000) + np.zeros((1, ${REGIONS}))`,
    })
    expect(decaying.peakHz).toBeCloseTo(10, 5)
    expect(failures(decaying, 8, 12)).toEqual([expect.stringContaining('decays')])
  })

  test('non-finite values (a diverged simulation) are a problem, not a spectrum', async () => {
    const file = await writeSignal(path.join(dir, 'nan.npz'), {
      time: 'np.arange(0, 6000, 1.0)',
      data: `np.full((6000, ${REGIONS}), np.nan)`,
    })
    expect(await measurePsd({ signal: file, band: [8, 12] })).toEqual({
      ok: false,
      problem: expect.stringContaining('NaN'),
    })
  })

  test('the band-power fraction threshold is applied when a goal sets one', async () => {
    const m = await measure('broad', sines(10, 6, 1000, 3.0))
    expect(m.peakHz).toBeCloseTo(10, 5)
    expect(m.bandPowerFraction).toBeLessThan(0.9)
    expect(failures(m, 8, 12, { min_band_fraction: 0.9 })).toEqual([
      expect.stringContaining('of the power lies in 8–12 Hz'),
    ])
  })

  test('the spectrum plot is written when asked', async () => {
    const file = await writeSignal(path.join(dir, 'plot.npz'), sines(10))
    const plotPath = path.join(dir, 'plot.png')
    const response = await measurePsd({ signal: file, band: [8, 12], plotPath, title: 'synthetic' })
    expect(response.ok && response.result.plot).toBe(plotPath)
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(plotPath).subarray(1, 4).toString()).toBe('PNG')
  })
})
