import type { TrialView } from '../results/schema.ts'
import type { Telemetry, TelemetryRow } from './schema.ts'
import { pairedDelta, type TrialScore } from './stats.ts'
import { fixed, markdownTable, percent, terminalTable, withInterval } from './table.ts'

/**
 * Skill-use telemetry. With on-demand delivery the driver reads skills through a tool, and the
 * record says which (loop.skillsRead): so a report can show what was read, flag trials offered skills
 * that read none ("silent bypass"), and give Δ vs the baseline among the trials that did read them.
 * That last Δ conditions on behaviour after the skills were offered: it describes, it is not the
 * causal effect of the skills (the condition's own row is). Inline skills cannot be observed.
 */

interface Arm {
  model: string
  condition: string
  trials: number
  offered: number
  read: number
  bypass: number
  skills: Record<string, { offered: number; read: number }>
  readScores: Map<string, TrialScore[]>
  bypassScores: Map<string, TrialScore[]>
}

const push = (map: Map<string, TrialScore[]>, goal: string, value: TrialScore) => {
  const list = map.get(goal)
  if (list) list.push(value)
  else map.set(goal, [value])
}

export function buildTelemetry(
  records: TrialView[],
  score: (r: TrialView) => TrialScore | undefined,
  baseline: string,
): Telemetry {
  const arms = new Map<string, Arm>()
  const inline = new Map<string, { model: string; condition: string; trials: number }>()
  const baselines = new Map<string, Map<string, TrialScore[]>>() // model → goal → scores
  for (const record of records) {
    const value = score(record)
    if (record.condition === baseline && value !== undefined) {
      let goals = baselines.get(record.model.name)
      if (!goals) baselines.set(record.model.name, (goals = new Map()))
      push(goals, record.goal.id, value)
    }
    const offered = record.prompt?.placebo ? [] : (record.prompt?.skills ?? []).map((s) => s.name)
    if (offered.length === 0 || record.status === 'infra_error') continue
    const key = `${record.model.name}\u0000${record.condition}`
    const onDemand = record.prompt?.delivery === 'on-demand' || record.loop?.skillsRead !== undefined
    if (!onDemand) {
      const entry = inline.get(key) ?? { model: record.model.name, condition: record.condition, trials: 0 }
      entry.trials += 1
      inline.set(key, entry)
      continue
    }
    let arm = arms.get(key)
    if (!arm) {
      arm = {
        model: record.model.name,
        condition: record.condition,
        trials: 0,
        offered: 0,
        read: 0,
        bypass: 0,
        skills: {},
        readScores: new Map(),
        bypassScores: new Map(),
      }
      arms.set(key, arm)
    }
    // a trial that never reached the loop (no notebook, no tool calls) read nothing
    const read = new Set(record.loop?.skillsRead ?? [])
    arm.trials += 1
    arm.offered += offered.length
    for (const name of offered) {
      const entry = (arm.skills[name] ??= { offered: 0, read: 0 })
      entry.offered += 1
      if (read.has(name)) entry.read += 1
    }
    const readAny = offered.some((name) => read.has(name))
    if (readAny) arm.read += 1
    else arm.bypass += 1
    if (value !== undefined) push(readAny ? arm.readScores : arm.bypassScores, record.goal.id, value)
  }
  const rows: TelemetryRow[] = [...arms.values()]
    .sort((a, b) => a.model.localeCompare(b.model) || a.condition.localeCompare(b.condition))
    .map((arm) => {
      const base = baselines.get(arm.model)
      const deltaRead = base ? pairedDelta(arm.readScores, base, { convention: 'failures_as_zero' }) : undefined
      const deltaBypass = base ? pairedDelta(arm.bypassScores, base, { convention: 'failures_as_zero' }) : undefined
      return {
        model: arm.model,
        condition: arm.condition,
        trials: arm.trials,
        offered: arm.trials ? arm.offered / arm.trials : 0,
        read: arm.read,
        bypass: arm.bypass,
        skills: arm.skills,
        ...(deltaRead ? { deltaRead } : {}),
        ...(deltaBypass ? { deltaBypass } : {}),
      }
    })
  const byName = (a: { model: string; condition: string }, b: { model: string; condition: string }) =>
    a.model.localeCompare(b.model) || a.condition.localeCompare(b.condition)
  return { baseline, rows, inline: [...inline.values()].sort(byName) }
}

function telemetryTable(telemetry: Telemetry): string[][] {
  const delta = (d: TelemetryRow['deltaRead']) => (d ? `${withInterval(d.delta, d.ci)} (${d.n} goals)` : '—')
  const header = [
    'Model',
    'Condition',
    'Trials',
    'Offered/trial',
    'Read any',
    'Silent bypass',
    'Skills read (read/offered)',
    `Δ vs ${telemetry.baseline}, trials that read`,
    'Δ, trials that bypassed',
  ]
  const body = telemetry.rows.map((row) => [
    row.model,
    row.condition,
    String(row.trials),
    fixed(row.offered, 1),
    percent(row.trials ? row.read / row.trials : undefined),
    `${row.bypass} (${percent(row.trials ? row.bypass / row.trials : undefined)})`,
    Object.entries(row.skills)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, s]) => `${name} ${s.read}/${s.offered}`)
      .join(', '),
    delta(row.deltaRead),
    delta(row.deltaBypass),
  ])
  return [header, ...body]
}

const NOTE =
  'Silent bypass: a trial offered skills on demand that read none of them. Δ among trials that read ' +
  'describes them; it is not the effect of the skills (the condition row is), since reading is chosen by the model.'

export function formatTelemetryTerminal(telemetry: Telemetry): string | undefined {
  if (telemetry.rows.length === 0) return undefined
  const flagged = telemetry.rows.filter((r) => r.bypass > 0)
  const warning = flagged.map(
    (r) => `SILENT BYPASS: ${r.model} · ${r.condition}: ${r.bypass} of ${r.trials} trial(s) read none of the skills`,
  )
  return ['skill use (on-demand delivery)', terminalTable(telemetryTable(telemetry)), ...warning].join('\n')
}

export function formatTelemetryMarkdown(telemetry: Telemetry): string | undefined {
  if (telemetry.rows.length === 0 && telemetry.inline.length === 0) return undefined
  const parts = ['**Skill use**', '']
  if (telemetry.rows.length) parts.push(markdownTable(telemetryTable(telemetry)), '', NOTE)
  if (telemetry.inline.length) {
    const listed = telemetry.inline.map((i) => `${i.model} · ${i.condition}`).join(', ')
    parts.push('', `Skills in the prompt (inline), so their use cannot be observed: ${listed}.`)
  }
  return parts.join('\n')
}
