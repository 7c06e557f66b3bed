import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { checkKind } from '../harness/checks/registry.ts'
import { loadModelsFile } from '../harness/config/models.ts'
import type { Settings } from '../harness/config/settings.ts'
import { TIERS, type Tier } from '../harness/goal/schema.ts'
import { loadCatalog, type Catalog } from '../harness/oracles/catalog.ts'
import { brokenScript, oracleScript } from '../harness/oracles/fixtures.ts'
import { oracleResultsDir, type NotebookRow } from '../harness/oracles/plan.ts'
import { markdownTable, terminalTable } from '../harness/report/table.ts'

/**
 * `skilldelta fixtures`, `skilldelta suite` and the catalog checks behind `skilldelta oracles`:
 * the suite's goals, their oracles and negative controls, seen as one table.
 */

const GENERATED = { 'fixture-oracle': oracleScript, 'fixture-broken': brokenScript } as const

function catalogOf(settings: Settings): Catalog {
  const catalog = loadCatalog(settings)
  for (const problem of catalog.problems) console.error(problem)
  return catalog
}

/**
 * Write (or with `check`, compare) the scripts of the fixture-oracle and fixture-broken models,
 * generated from the catalog. Exit 1 when a script is stale (check) or the catalog has problems.
 */
export function fixturesCommand(settings: Settings, check: boolean): number {
  const catalog = catalogOf(settings)
  const models = loadModelsFile(settings.modelsFile).models
  let stale = 0
  for (const [name, render] of Object.entries(GENERATED)) {
    const model = models.find((m) => m.name === name)
    if (!model || model.provider !== 'fixture') {
      console.error(`${path.relative(settings.root, settings.modelsFile)}: no fixture model "${name}"; skipped`)
      continue
    }
    const text = render(catalog.entries, model.script)
    const shown = path.relative(process.cwd(), model.script)
    const current = existsSync(model.script) ? readFileSync(model.script, 'utf8') : ''
    if (current === text) {
      console.log(`${shown}: up to date`)
      continue
    }
    if (check) {
      stale += 1
      console.error(`${shown}: out of date with the goals, oracles and controls; run \`npx skilldelta fixtures\``)
    } else {
      writeFileSync(model.script, text)
      console.log(`${shown}: written (${catalog.entries.length} goals)`)
    }
  }
  return stale || catalog.problems.length ? 1 : 0
}

/** The newest oracles.json the bench wrote, if any: the source of the wall-time column. */
function latestOracleRows(settings: Settings): NotebookRow[] {
  const dir = oracleResultsDir(settings.resultsDir)
  if (!existsSync(dir)) return []
  const runs = readdirSync(dir)
    .map((run) => path.join(dir, run, 'oracles.json'))
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  if (!runs[0]) return []
  return (JSON.parse(readFileSync(runs[0], 'utf8')) as { rows: NotebookRow[] }).rows
}

/**
 * `skilldelta suite [--markdown]`: the suite by tier — goals, check kinds, oracles, controls, and
 * the oracles' wall times from the latest bench run (`skilldelta oracles`).
 */
export function suiteCommand(settings: Settings, markdown: boolean): number {
  const catalog = catalogOf(settings)
  const seconds = new Map(
    latestOracleRows(settings)
      .filter((r) => r.role === 'oracle')
      .map((r) => [r.goal, r.seconds]),
  )
  const rank = (tier: string) => (TIERS.includes(tier as Tier) ? TIERS.indexOf(tier as Tier) : TIERS.length)
  const tiers = [...new Set(catalog.entries.map((e) => e.goal.tier))].sort((a, b) => rank(a) - rank(b))
  const rows = tiers.map((tier) => {
    const entries = catalog.entries.filter((e) => e.goal.tier === tier)
    const kinds = [...new Set(entries.flatMap((e) => e.goal.checks.map((c) => c.kind)))]
      .filter((kind) => checkKind(kind).objective)
      .sort()
    const times = entries
      .flatMap((e) => (seconds.has(e.goal.id) ? [seconds.get(e.goal.id)!] : []))
      .sort((a, b) => a - b)
    const wall = times.length
      ? `${times[Math.floor((times.length - 1) / 2)]!.toFixed(0)} s median, ${times.at(-1)!.toFixed(0)} s max` +
        (times.length < entries.length ? ` (${times.length} measured)` : '')
      : '—'
    return [
      tier,
      String(entries.length),
      String(entries.filter((e) => e.oracle).length),
      String(entries.reduce((n, e) => n + e.controls.length, 0)),
      kinds.join(', '),
      wall,
    ]
  })
  const header = ['tier', 'goals', 'oracles', 'controls', 'objective check kinds', 'oracle wall time']
  const total = ['all', ...[1, 2, 3].map((i) => String(rows.reduce((n, r) => n + Number(r[i]), 0))), '', '']
  console.log((markdown ? markdownTable : terminalTable)([header, ...rows, total]))
  return catalog.problems.length ? 1 : 0
}
