import type { MatcherState } from '@vitest/expect'
import type { SignalSubject } from '../harness/analysis/select.ts'
import { assessPsdPeak, PsdPeakCheckSchema, type PsdPeakCheck } from '../harness/checks/psd-peak.ts'
import { attachVerdict, matcherResult } from './verdict.ts'

export type PsdPeakOptions = Partial<Omit<PsdPeakCheck, 'band'>>

/** The signal's mean Welch PSD peaks in [lo, hi] Hz with sustained activity (the `psd_peak` check). */
export async function toHavePSDPeakIn(
  this: MatcherState,
  received: SignalSubject,
  lo: number,
  hi: number,
  options: PsdPeakOptions = {},
) {
  const check = PsdPeakCheckSchema.parse({ ...options, band: [lo, hi] })
  const verdict = await assessPsdPeak(received, check)
  await attachVerdict(this, verdict)
  return matcherResult(this, verdict)
}
