import { z } from 'zod'
import type { ExecutionReport, ProbedSignal } from '../notebook/report.ts'
import { runAnalysis } from './python.ts'

const TERM = /([+-])?\s*(?:(\d+(?:\.\d+)?)\s*\*\s*)?([A-Za-z_]\w*)/g
const VARIABLE_EXPRESSION =
  /^\s*[+-]?\s*(?:\d+(?:\.\d+)?\s*\*\s*)?[A-Za-z_]\w*(?:\s*[+-]\s*(?:\d+(?:\.\d+)?\s*\*\s*)?[A-Za-z_]\w*)*\s*$/

/** "y1 - y2" → { y1: 1, y2: -1 }. */
export function variableWeights(expression: string): Record<string, number> {
  const weights: Record<string, number> = {}
  for (const [, sign, coefficient, name] of expression.matchAll(TERM))
    weights[name!] = (weights[name!] ?? 0) + (sign === '-' ? -1 : 1) * Number(coefficient ?? 1)
  return weights
}

/** Where a check finds its signal among the series the probe saved. */
export const SignalSelectorSchema = z.union([
  z.literal('auto'),
  z
    .object({
      source: z.string().min(1).optional().describe('variable name in the notebook, e.g. "stochastic" or "result[0]"'),
      monitor: z.string().min(1).optional().describe('TVB monitor class, e.g. "TemporalAverage" or "Bold"'),
      variable: z
        .string()
        .regex(VARIABLE_EXPRESSION, 'a state variable ("y1") or a sum of them ("y1 - y2", "0.5*V + W")')
        .optional()
        .describe('which state variable(s) the check reads, by name; the harness computes a sum itself'),
    })
    .strict()
    .refine((s) => s.source !== undefined || s.monitor !== undefined, {
      message: 'give `source` (a variable name) or `monitor` (a monitor class), or use "auto"',
    }),
])
export type SignalSelector = z.infer<typeof SignalSelectorSchema>

/** What a signal check receives: the chosen series, or why there is none. */
export type SignalSubject =
  | { found: true; signal: ProbedSignal & { file: string }; outDir: string; label: string }
  | { found: false; reason: string; available: ProbedSignal[] }

function describeSelector(selector: SignalSelector): string {
  if (selector === 'auto') return 'the main simulated signal'
  return [selector.source ? `variable "${selector.source}"` : '', selector.monitor ? `monitor ${selector.monitor}` : '']
    .filter(Boolean)
    .join(' from ')
}

/** Prefer a series the notebook kept under a name, from a known non-BOLD monitor, then the longest. */
function autoRank(a: ProbedSignal, b: ProbedSignal): number {
  const score = (s: ProbedSignal) =>
    [s.monitor && s.monitor !== 'Bold' ? 1 : 0, s.names.length ? 1 : 0, s.samples] as const
  const [a1, a2, a3] = score(a)
  const [b1, b2, b3] = score(b)
  return b1 - a1 || b2 - a2 || b3 - a3
}

/** `source: x` names a variable holding the series (x), or the list sim.run() returned (x[0], x[1], …). */
function matches(signal: ProbedSignal, selector: Exclude<SignalSelector, 'auto'>): boolean {
  const names = signal.names.length ? signal.names : [signal.source]
  const sourceOk =
    selector.source === undefined ||
    names.some((name) => name === selector.source || name.startsWith(`${selector.source}[`))
  const monitorOk = selector.monitor === undefined || signal.monitor?.toLowerCase() === selector.monitor.toLowerCase()
  return sourceOk && monitorOk
}

export function selectSignal(
  execution: ExecutionReport | undefined,
  selector: SignalSelector,
  outDir: string,
): SignalSubject {
  if (!execution) return { found: false, reason: 'no notebook was executed', available: [] }
  const probe = execution.probe
  if (probe.status === 'skipped')
    return {
      found: false,
      reason: `the probe did not run: ${probe.reason ?? 'the notebook did not execute'}`,
      available: [],
    }
  if (probe.status === 'error')
    return { found: false, reason: `the probe failed: ${probe.error.ename}: ${probe.error.evalue}`, available: [] }
  const usable = probe.signals.filter((s): s is ProbedSignal & { file: string } => s.file !== undefined)
  const candidates = selector === 'auto' ? [...usable].sort(autoRank) : usable.filter((s) => matches(s, selector))
  const chosen = candidates[0]
  if (!chosen) {
    const skipped = probe.signals.filter((s) => s.skipped).map((s) => `${s.source} (${s.skipped})`)
    const reason =
      probe.signals.length === 0
        ? 'the notebook ran no TVB simulation the probe could record (signals come from Simulator.run(), e.g. ' +
          '`(time, data), = sim.run()`)'
        : `no probed signal matches ${describeSelector(selector)}` +
          (skipped.length ? `; skipped: ${skipped.join(', ')}` : '')
    return { found: false, reason, available: probe.signals }
  }
  return {
    found: true,
    signal: chosen,
    outDir,
    label: `${chosen.source}${chosen.monitor ? ` (${chosen.monitor})` : ''}`,
  }
}

const DerivedSchema = z.object({ shape: z.array(z.number().int()) })

/**
 * The selector's `variable` applied to a chosen series: the state variables are found by the names the
 * probe recorded for its monitor, and the sum is computed by the harness into a file beside the probed
 * one (python/skilldelta_py/derive_signal.py). Checks then read it as variable 0.
 */
export async function withVariable(subject: SignalSubject, selector: SignalSelector): Promise<SignalSubject> {
  if (!subject.found || selector === 'auto' || !selector.variable) return subject
  const { signal } = subject
  const weights = variableWeights(selector.variable)
  const coefficients: Record<string, number> = {}
  for (const [name, weight] of Object.entries(weights)) {
    const index = signal.variables.indexOf(name)
    if (index < 0) {
      const recorded = signal.variables.length ? signal.variables.join(', ') : 'no variable names'
      return {
        found: false,
        reason: `${subject.label} does not record the state variable ${name} (its monitor recorded ${recorded})`,
        available: [signal],
      }
    }
    coefficients[String(index)] = weight
  }
  const out = signal.file.replace(
    /\.npz$/,
    `-${Object.entries(weights)
      .map(([n, w]) => `${w}${n}`)
      .join('')}.npz`,
  )
  const derived = await runAnalysis('derive_signal', { file: signal.file, out, coefficients }, DerivedSchema)
  if (!derived.ok) return { found: false, reason: derived.problem, available: [signal] }
  return {
    ...subject,
    signal: { ...signal, file: out, shape: derived.result.shape, variables: [selector.variable.replace(/\s+/g, ' ')] },
    label: `${subject.label}: ${selector.variable.trim()}`,
  }
}
