import type { Settings } from '../harness/config/settings.ts'
import { inventoryGoals, type GoalListing } from '../harness/goal/inventory.ts'

/**
 * `skilldelta goals [--json]`: every goal the project's include globs find, with its derived id,
 * tier, source, timeout and checks and where each came from; exit 1 listing every problem.
 */

const problemJson = (e: GoalListing['errors'][number]) => ({
  file: e.file,
  line: e.line,
  column: e.column,
  field: e.field,
  problem: e.problem,
  fix: e.fix,
})

function asJson(listings: GoalListing[]) {
  return {
    goals: listings.flatMap(({ file, goal, origins, warnings, hints }) =>
      goal && origins
        ? [
            {
              file,
              id: goal.id,
              title: goal.title,
              tier: goal.tier,
              source: goal.source ?? null,
              timeoutSeconds: goal.timeoutSeconds,
              checks: goal.checks.map((c) => ({ id: c.id, name: c.name, line: c.line })),
              origins,
              warnings,
              hints,
            },
          ]
        : [],
    ),
    problems: listings.flatMap((l) => l.errors.map(problemJson)),
  }
}

function asText(listings: GoalListing[]): string {
  const blocks: string[] = []
  for (const { file, goal, origins, warnings, hints } of listings) {
    if (!goal || !origins) continue
    const row = (label: string, value: string, origin?: string) =>
      `  ${label.padEnd(8)} ${value}${origin ? `  ← ${origin}` : ''}`
    blocks.push(
      [
        file,
        row('id', goal.id, origins.id),
        row('title', goal.title, origins.title),
        row('tier', goal.tier, origins.tier),
        row('source', goal.source ?? '—', origins.source),
        row('timeout', `${goal.timeoutSeconds} s`, origins.timeout),
        row('checks', goal.checks.map((c) => c.name).join(' · '), origins.checks),
        ...hints.map((h) =>
          row('hint', `line ${h.line}: "${h.text}" ${h.suggestion ? `→ could be checked: ${h.suggestion}` : h.note}`),
        ),
        ...warnings.map((w) => row('warning', `line ${w.line}: ${w.message}`)),
      ].join('\n'),
    )
  }
  return blocks.join('\n\n')
}

export function goalsCommand(settings: Settings, json: boolean): number {
  const listings = inventoryGoals({ root: settings.root, include: settings.include, tiers: settings.tiers })
  const errors = listings.flatMap((l) => l.errors)
  if (json) {
    process.stdout.write(`${JSON.stringify(asJson(listings), null, 2)}\n`)
    return errors.length ? 1 : 0
  }
  if (listings.length === 0) {
    console.error(`no goal files match ${settings.include.join(', ')} under ${settings.root}`)
    return 1
  }
  const text = asText(listings)
  if (text) console.log(text)
  const good = listings.filter((l) => l.goal && l.errors.length === 0)
  const tiers = new Map<string, number>()
  for (const l of good) tiers.set(l.goal!.tier, (tiers.get(l.goal!.tier) ?? 0) + 1)
  const byTier = [...tiers].map(([tier, n]) => `${n} ${tier}`).join(', ')
  console.log(`\n${good.length} of ${listings.length} goal file(s) compile${byTier ? ` (${byTier})` : ''}`)
  if (errors.length === 0) return 0
  console.error(`\n${errors.length} problem(s):\n${errors.map((e) => e.message).join('\n')}`)
  return 1
}
