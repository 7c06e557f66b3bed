import { z } from 'zod'
import { evoked } from './evoked.ts'
import { executes } from './executes.ts'
import { fcChange } from './fc-change.ts'
import { fc } from './fc.ts'
import { finite } from './finite.ts'
import { judgeScoreCheck } from './judge-score.ts'
import { psdPeak } from './psd-peak.ts'
import { psdShift } from './psd-shift.ts'
import { recovered } from './recovered.ts'
import { regime } from './regime.ts'
import { seizure } from './seizure.ts'
import { signalShape } from './signal-shape.ts'
import { trend } from './trend.ts'
import { value } from './value.ts'
import type { CheckInstance, CheckKind } from './types.ts'

/**
 * Every check kind, in the order a goal's tests run. Adding a kind = one module exporting a
 * CheckKind, and one line here; the frontmatter schema, the compiler, the record and the reports
 * follow from the entry.
 */
export const CHECK_KINDS: readonly CheckKind<any>[] = [
  executes,
  signalShape,
  finite,
  psdPeak,
  psdShift,
  regime,
  fc,
  fcChange,
  seizure,
  evoked,
  value,
  trend,
  recovered,
  judgeScoreCheck,
]

/** The named results (notebook variables) a goal's checks read: the probe fetches exactly these. */
export function resultsNeeded(instances: readonly CheckInstance[]): string[] {
  const names = instances.flatMap((c) => byKey.get(c.kind)?.results?.(c.params) ?? [])
  return [...new Set(names)]
}

const byKey = new Map(CHECK_KINDS.map((kind) => [kind.key, kind]))

export function checkKind(key: string): CheckKind<unknown> {
  const kind = byKey.get(key)
  if (!kind) throw new Error(`unknown check kind "${key}" (known: ${[...byKey.keys()].join(', ')})`)
  return kind
}

/** `true` means "this check with its defaults"; `false` turns a check off. */
function valueSchema(kind: CheckKind<any>) {
  const schema = kind.schema as z.ZodType<unknown, object>
  const one = z.union([
    z
      .literal(true)
      .transform(() => ({}))
      .pipe(schema),
    schema,
  ])
  return kind.many ? z.union([z.literal(false), one, z.array(one).min(1)]) : z.union([z.literal(false), one])
}

/** The `checks:` block of a GOAL.md frontmatter: one optional key per kind, nothing else. */
export const ChecksSchema = z
  .object(Object.fromEntries(CHECK_KINDS.map((k) => [k.key, valueSchema(k).optional()])))
  .strict()
export type ChecksBlock = Record<string, unknown>

export const CHECK_KEYS = CHECK_KINDS.map((k) => k.key)

/**
 * The checks a goal runs, one instance per test, in registry order. `lineOf(key, index)` finds the
 * GOAL.md line of `checks.<key>` (index: the list item, for lists).
 */
export function instantiateChecks(
  block: ChecksBlock,
  lineOf: (key: string, index?: number) => number,
): CheckInstance[] {
  const instances: CheckInstance[] = []
  for (const kind of CHECK_KINDS) {
    const value = block[kind.key]
    if (value === undefined || value === false) continue
    const list: unknown[] = Array.isArray(value) ? value : [value]
    list.forEach((written, index) => {
      // `true` (also in defaults the parser adds, which never went through the schema) = all defaults
      const params = written === true ? kind.schema.parse({}) : written
      const id = kind.many ? `${kind.key}[${index}]` : kind.key
      const line = Array.isArray(value) ? lineOf(kind.key, index) : lineOf(kind.key)
      instances.push({ id, kind: kind.key, params, line, name: kind.testName(params) })
    })
  }
  return instances
}
