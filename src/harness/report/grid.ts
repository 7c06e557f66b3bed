import type { TrialView } from '../results/schema.ts'
import { offeredSkills } from './cells.ts'
import type { Grid } from './schema.ts'
import { cellMean, type TrialScore } from './stats.ts'
import { fixed, markdownTable, signed } from './table.ts'

/**
 * Per goal, side by side: every model × condition's score (mean, failures as 0) and how its trials
 * ended, in one grid, so a reader sees which goals the skills fixed and which they broke. Goals made
 * worse by skills come first (the largest drop of any skills condition vs the same model's
 * baseline), then the rest by their smallest change. One pass over the records.
 */

const STATUS_LABEL: Record<string, string> = {
  ok: 'ok',
  generation_failed: 'gen',
  execution_failed: 'exec',
  infra_error: 'infra',
  judge_error: 'judge',
  pending: 'pending',
}

interface Cell {
  scores: TrialScore[]
  statuses: Record<string, number>
}

export function buildGrid(
  records: TrialView[],
  score: (r: TrialView) => TrialScore | undefined,
  metric: string,
  baseline: string,
): Grid {
  const columns = new Map<string, { model: string; condition: string; skills: boolean }>()
  const goals = new Map<string, Map<string, Cell>>()
  for (const record of records) {
    const key = `${record.model.name}\u0000${record.condition}`
    let column = columns.get(key)
    if (!column) columns.set(key, (column = { model: record.model.name, condition: record.condition, skills: false }))
    if (offeredSkills(record)) column.skills = true
    let byColumn = goals.get(record.goal.id)
    if (!byColumn) goals.set(record.goal.id, (byColumn = new Map()))
    let cell = byColumn.get(key)
    if (!cell) byColumn.set(key, (cell = { scores: [], statuses: {} }))
    cell.statuses[record.status] = (cell.statuses[record.status] ?? 0) + 1
    const value = score(record)
    if (value !== undefined) cell.scores.push(value)
  }
  const ordered = [...columns.entries()].sort(
    ([, a], [, b]) =>
      a.model.localeCompare(b.model) ||
      Number(b.condition === baseline) - Number(a.condition === baseline) ||
      a.condition.localeCompare(b.condition),
  )
  const rows = [...goals].map(([goal, byColumn]) => {
    const means = new Map(
      ordered.map(([key]) => {
        const cell = byColumn.get(key)
        return [key, cell ? cellMean(cell.scores, 'failures_as_zero') : undefined] as const
      }),
    )
    const effects: Record<string, number> = {}
    for (const [key, column] of ordered) {
      if (!column.skills || column.condition === baseline) continue
      const withSkills = means.get(key)
      const without = means.get(`${column.model}\u0000${baseline}`)
      if (withSkills !== undefined && without !== undefined)
        effects[`${column.model} · ${column.condition}`] = withSkills - without
    }
    return {
      goal,
      cells: ordered.map(([key]) => {
        const cell = byColumn.get(key)
        if (!cell) return null
        const mean = means.get(key)
        return { ...(mean === undefined ? {} : { score: mean }), statuses: cell.statuses }
      }),
      effects,
    }
  })
  const worst = (row: (typeof rows)[number]) => Math.min(Infinity, ...Object.values(row.effects))
  rows.sort((a, b) => worst(a) - worst(b) || a.goal.localeCompare(b.goal))
  return {
    metric,
    columns: ordered.map(([, column]) => column),
    goals: rows,
  }
}

function statusText(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${STATUS_LABEL[status] ?? status}${n > 1 ? `×${n}` : ''}`)
    .join(' ')
}

function effectText(effects: Record<string, number>): string {
  const entries = Object.entries(effects).sort(([a, x], [b, y]) => x - y || a.localeCompare(b))
  const worse = entries.filter(([, d]) => d < 0).map(([name, d]) => `${name} ${signed(d)}`)
  const better = entries.filter(([, d]) => d > 0).map(([name, d]) => `${name} ${signed(d)}`)
  return [worse.length ? `worse: ${worse.join(', ')}` : '', better.length ? `better: ${better.join(', ')}` : '']
    .filter(Boolean)
    .join('; ')
}

/** The grid as Markdown: one row per goal, goals made worse by skills first. */
export function formatGridMarkdown(grid: Grid): string {
  if (grid.goals.length === 0) return ''
  const header = ['Goal', 'Skills vs baseline', ...grid.columns.map((c) => `${c.model} · ${c.condition}`)]
  const body = grid.goals.map((row) => [
    row.goal,
    effectText(row.effects) || '—',
    ...row.cells.map((cell) => (cell ? `${fixed(cell.score)} ${statusText(cell.statuses)}` : '')),
  ])
  return [
    `**Per goal, side by side** (${grid.metric}; mean over samples, failures as 0; trials by status: ok, ` +
      'gen = no notebook, exec = notebook failed, infra, judge = judge error). Goals made worse by skills first.',
    '',
    markdownTable([header, ...body]),
  ].join('\n')
}
