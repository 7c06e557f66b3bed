import path from 'node:path'
import { z } from 'zod'
import { measurePsd, type PsdMeasurement } from '../analysis/psd.ts'
import { SignalSelectorSchema, type SignalSubject } from '../analysis/select.ts'
import type { CheckKind, Verdict } from './types.ts'

const band = z
  .tuple([z.number().positive(), z.number().positive()])
  .refine(([lo, hi]) => lo < hi, { message: 'band must be [low, high] in Hz with low < high' })

export const PsdPeakCheckSchema = z
  .object({
    band,
    signal: SignalSelectorSchema.default('auto'),
    variable_index: z.number().int().min(0).default(0),
    transient_ms: z.number().min(0).optional(),
    min_band_fraction: z.number().min(0).max(1).default(0),
    min_std: z.number().min(0).default(1e-6),
    min_decay_ratio: z.number().min(0).max(1).default(0.5),
  })
  .strict()
export type PsdPeakCheck = z.infer<typeof PsdPeakCheckSchema>

/** Why a measured spectrum does not show a sustained peak in the band (empty: it does). */
export function psdFailures(m: PsdMeasurement, check: PsdPeakCheck): string[] {
  const [lo, hi] = check.band
  const reasons: string[] = []
  if (m.std.max < check.min_std) {
    reasons.push(`the signal is flat (largest regional std ${m.std.max.toExponential(2)} < ${check.min_std})`)
  }
  if (m.decayRatio < check.min_decay_ratio) {
    const kept = (m.decayRatio * 100).toPrecision(2)
    reasons.push(
      `the activity decays (std over the last third is ${kept}% of the first third; ` +
        `a sustained rhythm needs ≥ ${check.min_decay_ratio * 100}%)`,
    )
  }
  if (m.peakHz < lo || m.peakHz > hi) reasons.push(`the peak is at ${m.peakHz.toFixed(2)} Hz, outside ${lo}–${hi} Hz`)
  if (m.bandPowerFraction < check.min_band_fraction) {
    const share = (m.bandPowerFraction * 100).toFixed(0)
    reasons.push(
      `only ${share}% of the power lies in ${lo}–${hi} Hz (minimum ${(check.min_band_fraction * 100).toFixed(0)}%)`,
    )
  }
  return reasons
}

function summarisePsd(m: PsdMeasurement, [lo, hi]: readonly [number, number]): string {
  return (
    `peak ${m.peakHz.toFixed(2)} Hz (resolution ${m.resolutionHz.toFixed(2)} Hz, fs ${m.fsHz.toFixed(0)} Hz, ` +
    `${(m.droppedMs / 1000).toFixed(1)} s transient dropped), ` +
    `${(m.bandPowerFraction * 100).toFixed(0)}% of power in ${lo}–${hi} Hz, ` +
    `${(m.regionsPeakingInBand * 100).toFixed(0)}% of ${m.regions} regions peak in band`
  )
}

/** The signal's mean Welch PSD peaks in the band, with sustained, non-trivial activity. */
export async function assessPsdPeak(subject: SignalSubject, check: PsdPeakCheck): Promise<Verdict> {
  const [lo, hi] = check.band
  if (!subject.found) {
    return {
      status: 'fail',
      message: `no signal to analyse: ${subject.reason}`,
      measured: { found: false, reason: subject.reason },
    }
  }
  const { signal, label } = subject
  const response = await measurePsd({
    signal: signal.file,
    band: check.band,
    variableIndex: check.variable_index,
    ...(check.transient_ms !== undefined ? { transientMs: check.transient_ms } : {}),
    plotPath: path.join(subject.outDir, `psd-${signal.id}-${lo}-${hi}Hz.png`),
    title: label,
  })
  if (!response.ok) {
    return {
      status: 'fail',
      message: `the spectrum of ${label} cannot be measured: ${response.problem}`,
      measured: { found: true, signal: label, problem: response.problem },
    }
  }
  const m = response.result
  const reasons = psdFailures(m, check)
  const { freqs: _freqs, meanPsd: _psd, ...numbers } = m
  const summary = summarisePsd(m, check.band)
  return {
    status: reasons.length === 0 ? 'pass' : 'fail',
    message:
      reasons.length === 0
        ? `a sustained PSD peak in ${lo}–${hi} Hz for ${label}: ${summary}`
        : `expected a sustained PSD peak in ${lo}–${hi} Hz for ${label}, but ${reasons.join('; ')}.` +
          `\n  measured: ${summary}`,
    measured: { signal: label, ...numbers, ...(m.plot ? { plot: path.basename(m.plot) } : {}), reasons },
    ...(m.plot ? { attachments: [{ title: `PSD of ${label}`, file: m.plot, contentType: 'image/png' }] } : {}),
    actual: m.peakHz,
    expected: [lo, hi],
  }
}

const where = (check: PsdPeakCheck): string =>
  check.signal === 'auto' ? '' : ` (${check.signal.source ?? check.signal.monitor})`

export const psdPeak: CheckKind<PsdPeakCheck> = {
  key: 'psd_peak',
  summary: 'the mean Welch spectrum of a simulated signal peaks in a band, with sustained activity',
  schema: PsdPeakCheckSchema,
  many: true,
  objective: true,
  needs: ['signal'],
  testName: (check) => `PSD peak in ${check.band[0]}–${check.band[1]} Hz${where(check)}`,
  assess: async (check, inputs) => assessPsdPeak(await inputs.signal(check.signal), check),
}
