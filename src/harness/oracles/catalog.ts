import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { checkKind } from '../checks/registry.ts'
import { parseGoal, type GoalOptions } from '../goal/parse.ts'
import type { Goal } from '../goal/schema.ts'
import { globFiles } from '../util/glob.ts'

/**
 * The known answers of a suite, found by naming convention next to its goals:
 *   benchmarks/<tier>/<stem>.GOAL.md      the goal
 *   <oraclesDir>/<stem>.py                 a notebook that passes every objective check
 *   <controlsDir>/<stem>__<mistake>.py     a plausible wrong notebook; its first cell documents the
 *                                          mistake and names the checks it must fail: `targets: psd_peak`
 */

export interface Control {
  file: string
  /** `<stem>__<mistake>`. */
  name: string
  /** The documentation cell's heading. */
  title: string
  /** The check kinds this control must fail (it must pass every other objective check). */
  targets: string[]
}

export interface CatalogEntry {
  goal: Goal
  oracle?: string
  controls: Control[]
}

export interface Catalog {
  entries: CatalogEntry[]
  /** What is wrong with the suite's files, each naming the file, what is wrong and the fix. */
  problems: string[]
}

export interface CatalogDirs {
  root: string
  tiers: NonNullable<GoalOptions['tiers']>
  include: string[]
  oraclesDir: string
  controlsDir: string
}

const stemOf = (file: string): string =>
  path
    .basename(file)
    .replace(/\.GOAL\.md$/i, '')
    .replace(/\.py$/, '')

export function loadCatalog(dirs: CatalogDirs): Catalog {
  const problems: string[] = []
  const entries: CatalogEntry[] = []
  const shown = (file: string) => path.relative(dirs.root, file)
  for (const file of globFiles(dirs.root, dirs.include)) {
    const parsed = parseGoal(readFileSync(file), file, { tiers: dirs.tiers, root: dirs.root })
    if (!parsed.ok) {
      problems.push(parsed.error.message)
      continue
    }
    const oracle = path.join(dirs.oraclesDir, `${stemOf(file)}.py`)
    if (!existsSync(oracle)) problems.push(`${shown(file)}: no oracle notebook; write ${shown(oracle)}`)
    entries.push({ goal: parsed.goal, ...(existsSync(oracle) ? { oracle } : {}), controls: [] })
  }
  const byStem = new Map(entries.map((entry) => [stemOf(entry.goal.file), entry]))
  const controls = existsSync(dirs.controlsDir) ? readdirSync(dirs.controlsDir).filter((f) => f.endsWith('.py')) : []
  for (const name of controls.sort()) {
    const file = path.join(dirs.controlsDir, name)
    const [stem, mistake] = name.replace(/\.py$/, '').split('__')
    const entry = stem ? byStem.get(stem) : undefined
    if (!mistake || !entry) {
      // a control of a goal outside `include` (another suite) is not a problem of this one
      if (!mistake) problems.push(`${shown(file)}: name controls <goal file stem>__<mistake>.py`)
      continue
    }
    const control = readControl(file, entry.goal, shown(file))
    if (typeof control === 'string') problems.push(control)
    else entry.controls.push(control)
  }
  return { entries, problems }
}

/** The first cell documents the control: `# # <title>` and `# targets: kind[, kind…]`. */
function readControl(file: string, goal: Goal, shown: string): Control | string {
  const lines = readFileSync(file, 'utf8').split('\n')
  const next = lines.findIndex((line, i) => i > 0 && /^# %%/.test(line))
  const cell = lines.slice(0, next < 0 ? lines.length : next)
  const title = cell.map((l) => /^# #+\s*(.+)$/.exec(l)?.[1]).find(Boolean) ?? path.basename(file)
  const at = cell.findIndex((l) => /^# targets:/.test(l))
  if (at < 0)
    return `${shown}: its first cell names no target; add a line "# targets: <check kind>" (one of ${kindsOf(goal)})`
  const targets = (cell[at] ?? '')
    .replace(/^# targets:/, '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  for (const target of targets) {
    try {
      checkKind(target)
    } catch (error) {
      return `${shown}:${at + 1}: targets: ${(error as Error).message}`
    }
    if (!goal.checks.some((c) => c.kind === target))
      return `${shown}:${at + 1}: targets: ${goal.id} has no ${target} check (its kinds: ${kindsOf(goal)})`
  }
  if (!targets.length) return `${shown}:${at + 1}: targets: name at least one check kind (${kindsOf(goal)})`
  return { file, name: path.basename(file, '.py'), title, targets }
}

const kindsOf = (goal: Goal): string => [...new Set(goal.checks.map((c) => c.kind))].join(', ')

/**
 * The fast subset `npm test` runs: for every objective check kind the suite uses, one control
 * that targets it (fewest controls first: greedy set cover) and the oracles of those controls' goals.
 */
export function fastSubset(entries: CatalogEntry[], objective: (kind: string) => boolean): CatalogEntry[] {
  const wanted = new Set(entries.flatMap((e) => e.goal.checks.map((c) => c.kind)).filter(objective))
  const chosen = new Map<CatalogEntry, Control[]>()
  const all = entries.flatMap((entry) => entry.controls.map((control) => ({ entry, control })))
  while (wanted.size) {
    const best = all
      .map((c) => ({ ...c, covers: c.control.targets.filter((t) => wanted.has(t)).length }))
      .sort((a, b) => b.covers - a.covers)[0]
    if (!best || best.covers === 0) break
    best.control.targets.forEach((t) => wanted.delete(t))
    chosen.set(best.entry, [...(chosen.get(best.entry) ?? []), best.control])
  }
  return entries.filter((e) => chosen.has(e)).map((e) => ({ ...e, controls: chosen.get(e) ?? [] }))
}
