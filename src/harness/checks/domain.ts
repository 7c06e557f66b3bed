import { z } from 'zod'
import { runAnalysis } from '../analysis/python.ts'
import { SignalSelectorSchema, type SignalSelector } from '../analysis/select.ts'
import type { CheckInputs, CheckKind, Need, Verdict } from './types.ts'

/**
 * The domain checks (FC, seizures, evoked responses, …) share one shape: take one or more probed
 * signals by role and some named results, and ask python/skilldelta_py/domain_checks.py — a clean
 * process on files the runner wrote — for a verdict with the measured numbers. Each kind is then a
 * schema, its roles, its results and a test name.
 */

export const selector = SignalSelectorSchema.default('auto')
/** A variable of the notebook that holds a number or a list of numbers. */
export const resultName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a Python variable name the notebook leaves in its namespace')
export const labels = z.array(z.string().min(1)).min(1)
export const range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, { message: 'write the range as [low, high]' })

const DomainVerdictSchema = z.object({
  pass: z.boolean(),
  measured: z.record(z.string(), z.unknown()),
  reasons: z.array(z.string()),
  summary: z.string(),
})

export interface DomainKind<P> {
  key: string
  summary: string
  schema: z.ZodType<P>
  /** The signals the check compares, by role (`signal`, or `from` and `to`). */
  roles?: (params: P) => Record<string, SignalSelector>
  /** The named results it reads. */
  results?: (params: P) => string[]
  testName: (params: P) => string
}

/** Selectors and result names are the harness's business; the analysis gets the rest of the parameters. */
const ROLE_KEYS = new Set(['signal', 'from', 'to'])

async function assessDomain<P>(kind: DomainKind<P>, params: P, inputs: CheckInputs): Promise<Verdict> {
  const roles = kind.roles?.(params) ?? {}
  const signals: Record<string, { file: string; label: string }> = {}
  for (const [role, choice] of Object.entries(roles)) {
    const subject = await inputs.signal(choice)
    if (!subject.found) {
      const which = Object.keys(roles).length > 1 ? ` (${role})` : ''
      return {
        status: 'fail',
        message: `no signal to check${which}: ${subject.reason}`,
        measured: { found: false, role },
      }
    }
    signals[role] = { file: subject.signal.file, label: subject.label }
  }
  const names = kind.results?.(params) ?? []
  const available = inputs.results()
  const results: Record<string, unknown> = {}
  for (const name of names) {
    const entry = available[name]
    if (!entry || entry.status === 'missing') {
      return {
        status: 'fail',
        message: `the notebook left no variable \`${name}\` (the goal asks for it)`,
        measured: {},
      }
    }
    if (entry.status !== 'ok') {
      return { status: 'fail', message: `\`${name}\` cannot be read as numbers: ${entry.reason}`, measured: {} }
    }
    results[name] = entry.value
  }
  const analysed = Object.fromEntries(Object.entries(params as object).filter(([k]) => !ROLE_KEYS.has(k)))
  const request = { kind: kind.key, params: analysed, signals, results }
  const response = await runAnalysis('domain_checks', request, DomainVerdictSchema)
  if (!response.ok)
    return { status: 'fail', message: `the ${kind.key} check could not run: ${response.problem}`, measured: {} }
  const { pass, measured, reasons, summary } = response.result
  return pass
    ? { status: 'pass', message: summary, measured }
    : { status: 'fail', message: `${reasons.join('; ')}\n  measured: ${summary}`, measured: { ...measured, reasons } }
}

/** A registry entry for a domain check: objective, one or many per goal, assessed by domain_checks.py. */
export function domainKind<P>(kind: DomainKind<P>): CheckKind<P> {
  const needs: Need[] = kind.roles ? ['signal'] : ['execution']
  return {
    key: kind.key,
    summary: kind.summary,
    schema: kind.schema,
    many: true,
    objective: true,
    needs,
    testName: kind.testName,
    ...(kind.results ? { results: kind.results } : {}),
    assess: (params, inputs) => assessDomain(kind, params, inputs),
  }
}

/** How a test name refers to a selector. */
export function describeChoice(choice: SignalSelector): string {
  if (choice === 'auto') return 'the simulated signal'
  return [choice.source, choice.monitor && `(${choice.monitor})`, choice.variable && `: ${choice.variable}`]
    .filter(Boolean)
    .join(' ')
}
