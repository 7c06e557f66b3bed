import path from 'node:path'
import type { MatcherState } from '@vitest/expect'
import { measurePsd, type PsdMeasurement } from '../harness/analysis/psd.ts'
import type { SignalSubject } from '../harness/analysis/select.ts'
import type { PsdPeakCheck } from '../harness/goal/schema.ts'
import { attach, recordMeasured } from './context.ts'

export type PsdPeakOptions = Partial<Omit<PsdPeakCheck, 'band'>>

const DEFAULTS = { variable_index: 0, min_band_fraction: 0, min_std: 1e-6, min_decay_ratio: 0.5 }

/** Why a measured spectrum does not show a sustained peak in the band (empty: it does). */
export function psdFailures(m: PsdMeasurement, lo: number, hi: number, options: PsdPeakOptions = {}): string[] {
  const o = { ...DEFAULTS, ...options }
  const reasons: string[] = []
  if (m.std.max < o.min_std)
    reasons.push(`the signal is flat (largest regional std ${m.std.max.toExponential(2)} < ${o.min_std})`)
  if (m.decayRatio < o.min_decay_ratio) {
    reasons.push(
      `the activity decays (std over the last third is ${(m.decayRatio * 100).toPrecision(2)}% of the first third; a sustained rhythm needs ≥ ${o.min_decay_ratio * 100}%)`,
    )
  }
  if (m.peakHz < lo || m.peakHz > hi) reasons.push(`the peak is at ${m.peakHz.toFixed(2)} Hz, outside ${lo}–${hi} Hz`)
  if (m.bandPowerFraction < o.min_band_fraction) {
    reasons.push(
      `only ${(m.bandPowerFraction * 100).toFixed(0)}% of the power lies in ${lo}–${hi} Hz (minimum ${(o.min_band_fraction * 100).toFixed(0)}%)`,
    )
  }
  return reasons
}

export function summarisePsd(m: PsdMeasurement, lo: number, hi: number): string {
  return (
    `peak ${m.peakHz.toFixed(2)} Hz (resolution ${m.resolutionHz.toFixed(2)} Hz, fs ${m.fsHz.toFixed(0)} Hz, ` +
    `${(m.droppedMs / 1000).toFixed(1)} s transient dropped), ${(m.bandPowerFraction * 100).toFixed(0)}% of power in ${lo}–${hi} Hz, ` +
    `${(m.regionsPeakingInBand * 100).toFixed(0)}% of ${m.regions} regions peak in band`
  )
}

export async function toHavePSDPeakIn(
  this: MatcherState,
  received: SignalSubject,
  lo: number,
  hi: number,
  options: PsdPeakOptions = {},
) {
  if (!received.found) {
    recordMeasured(this, { found: false, reason: received.reason })
    return { pass: false, message: () => `no signal to analyse: ${received.reason}` }
  }
  const { signal } = received
  const plotPath = path.join(received.outDir, `psd-${signal.id}-${lo}-${hi}Hz.png`)
  const response = await measurePsd({
    signal: signal.file,
    band: [lo, hi],
    variableIndex: options.variable_index ?? 0,
    ...(options.transient_ms !== undefined ? { transientMs: options.transient_ms } : {}),
    plotPath,
    title: received.label,
  })
  if (!response.ok) {
    recordMeasured(this, { found: true, signal: received.label, problem: response.problem })
    return { pass: false, message: () => `the spectrum of ${received.label} cannot be measured: ${response.problem}` }
  }
  const m = response.result
  const reasons = psdFailures(m, lo, hi, options)
  const { freqs: _freqs, meanPsd: _psd, ...numbers } = m
  recordMeasured(this, {
    signal: received.label,
    ...numbers,
    ...(m.plot ? { plot: path.basename(m.plot) } : {}),
    reasons,
  })
  if (m.plot) await attach(this, `PSD of ${received.label}`, m.plot, 'image/png')
  const summary = summarisePsd(m, lo, hi)
  return {
    pass: reasons.length === 0,
    message: () =>
      this.isNot
        ? `expected no sustained PSD peak in ${lo}–${hi} Hz for ${received.label}, but found one: ${summary}`
        : `expected a sustained PSD peak in ${lo}–${hi} Hz for ${received.label}, but ${reasons.join('; ')}.\n  measured: ${summary}`,
    actual: m.peakHz,
    expected: [lo, hi],
  }
}
