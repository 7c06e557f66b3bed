import { regressed } from '../report/gate.ts'
import type { PairedDelta } from '../report/stats.ts'

/**
 * The loop's decisions, from paired Δs (report/stats.ts: per-goal summaries, bootstrap-t interval) —
 * no estimator of its own. A change is kept when it clears the noise measured before any change:
 *
 * - **noise floor**: an A/A run compares the champion with itself on fresh samples; its floor is the
 *   larger end of that Δ's 95 % interval, |lo| or |hi| — the largest gain two identical libraries showed.
 * - **gain** (on train): for some student the candidate's Δ has its lower 95 % bound above 0 AND Δ
 *   above that student's floor; and no student regresses beyond the gate margin (report/gate.ts: the
 *   whole interval below −margin).
 * - **simpler** (a tie that a smaller library wins): fewer tokens than the champion, every student's Δ
 *   at least −floor, no regression.
 * - **confirm** on the holdout (tasks the teacher never saw): a gain holds when a student that gained
 *   on train has a holdout Δ with its lower bound above 0, and no student regresses; a simplification
 *   holds when every student's holdout Δ is at least −floor and none regresses. Else it is reverted.
 * - **re-validation** (every N accepted changes, fresh samples, against the last validated library):
 *   kept as a gain is; else the champion goes back to that library (winner's curse).
 */

export interface StudentDelta {
  student: string
  /** Undefined when no goal could be paired (every trial of an arm was an infrastructure error). */
  delta: PairedDelta | undefined
}

export type Floors = Record<string, number>

/** The A/A floor: the larger end of the identical-arms Δ's interval (infinite below 5 goals). */
export function noiseFloor(delta: PairedDelta | undefined): number {
  if (!delta) return Number.POSITIVE_INFINITY
  return Math.max(Math.abs(delta.ci[0]), Math.abs(delta.ci[1]))
}

const fmt = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(2)}` : x > 0 ? '+∞' : '-∞')

export interface TrainDecision {
  verdict: 'gain' | 'simpler' | 'reject'
  /** Students whose gain cleared the bar. */
  helped: string[]
  reason: string
}

function regressions(deltas: StudentDelta[], margin: number): string[] {
  return deltas.filter((d) => d.delta && regressed(d.delta, margin)).map((d) => d.student)
}

export function decideTrain(
  deltas: StudentDelta[],
  floors: Floors,
  options: { margin: number; smaller: boolean },
): TrainDecision {
  const missing = deltas.filter((d) => !d.delta).map((d) => d.student)
  if (missing.length)
    return {
      verdict: 'reject',
      helped: [],
      reason: `no paired goals for ${missing.join(', ')} (infrastructure errors)`,
    }
  const worse = regressions(deltas, options.margin)
  if (worse.length)
    return {
      verdict: 'reject',
      helped: [],
      reason: `${worse.join(', ')} regressed beyond the margin ${options.margin}`,
    }
  const helped = deltas
    .filter(({ student, delta }) => delta!.ci[0] > 0 && delta!.delta > (floors[student] ?? Number.POSITIVE_INFINITY))
    .map((d) => d.student)
  if (helped.length)
    return {
      verdict: 'gain',
      helped,
      reason: `${helped.join(', ')}: lower bound above 0 and Δ above the A/A floor`,
    }
  if (options.smaller && deltas.every(({ student, delta }) => delta!.delta >= -(floors[student] ?? 0)))
    return { verdict: 'simpler', helped: [], reason: 'a smaller library, no worse than the A/A floor for any student' }
  const why = deltas
    .map(({ student, delta }) => {
      const d = delta!
      const floor = floors[student] ?? Number.POSITIVE_INFINITY
      const problems = [
        d.ci[0] > 0 ? '' : `lower bound ${fmt(d.ci[0])} ≤ 0`,
        d.delta > floor ? '' : `Δ ${fmt(d.delta)} ≤ floor ${fmt(floor)}`,
      ].filter(Boolean)
      return `${student}: ${problems.join(', ')}`
    })
    .join('; ')
  return { verdict: 'reject', helped: [], reason: why }
}

export function confirmHoldout(
  deltas: StudentDelta[],
  floors: Floors,
  options: { margin: number; kind: 'gain' | 'simpler'; helped: string[] },
): { holds: boolean; reason: string } {
  const missing = deltas.filter((d) => !d.delta).map((d) => d.student)
  if (missing.length) return { holds: false, reason: `no paired holdout goals for ${missing.join(', ')}` }
  const worse = regressions(deltas, options.margin)
  if (worse.length) return { holds: false, reason: `${worse.join(', ')} regressed on the holdout` }
  if (options.kind === 'simpler') {
    const ok = deltas.every(({ student, delta }) => delta!.delta >= -(floors[student] ?? 0))
    return { holds: ok, reason: ok ? 'no worse on the holdout' : 'worse than the A/A floor on the holdout' }
  }
  const held = deltas.filter(({ student, delta }) => options.helped.includes(student) && delta!.ci[0] > 0)
  return held.length
    ? { holds: true, reason: `holds on the holdout for ${held.map((d) => d.student).join(', ')} (lower bound above 0)` }
    : {
        holds: false,
        reason:
          'does not hold on the holdout: ' +
          deltas.map(({ student, delta }) => `${student} lower bound ${fmt(delta!.ci[0])}`).join('; '),
      }
}

/** Re-validation on fresh samples against the last validated library: kept as a gain is. */
export function revalidate(deltas: StudentDelta[], margin: number): { kept: boolean; reason: string } {
  const missing = deltas.filter((d) => !d.delta).map((d) => d.student)
  if (missing.length) return { kept: false, reason: `no paired goals for ${missing.join(', ')}` }
  const worse = regressions(deltas, margin)
  if (worse.length) return { kept: false, reason: `${worse.join(', ')} regressed on fresh samples` }
  const held = deltas.filter((d) => d.delta!.ci[0] > 0).map((d) => d.student)
  return held.length
    ? { kept: true, reason: `the gain holds on fresh samples for ${held.join(', ')}` }
    : { kept: false, reason: 'on fresh samples no student keeps a lower bound above 0 (winner’s curse)' }
}
