import type { TrialView } from '../results/schema.ts'
import { terminalTable } from './table.ts'

/** `skilldelta run`'s summary: trials and statuses per model and condition, from records.jsonl. */
interface RunSummaryRow {
  model: string
  condition: string
  trials: number
  statuses: Record<string, number>
  unfinished: number
  checks: { pass: number; fail: number; skip: number }
  tokensOut: number
}

export function summariseRecords(records: TrialView[], unfinished: TrialView[] = []): RunSummaryRow[] {
  const rows = new Map<string, RunSummaryRow>()
  const row = (record: TrialView): RunSummaryRow => {
    const key = `${record.model.name}\u0000${record.condition}`
    let found = rows.get(key)
    if (!found) {
      found = {
        model: record.model.name,
        condition: record.condition,
        trials: 0,
        statuses: {},
        unfinished: 0,
        checks: { pass: 0, fail: 0, skip: 0 },
        tokensOut: 0,
      }
      rows.set(key, found)
    }
    return found
  }
  for (const record of records) {
    const r = row(record)
    r.trials += 1
    r.statuses[record.status] = (r.statuses[record.status] ?? 0) + 1
    for (const check of Object.values(record.checks)) r.checks[check.status] += 1
    r.tokensOut += record.generation?.tokensOut ?? 0
  }
  for (const record of unfinished) row(record).unfinished += 1
  return [...rows.values()].sort((a, b) => a.model.localeCompare(b.model) || a.condition.localeCompare(b.condition))
}

export function formatSummary(rows: RunSummaryRow[]): string {
  const header = [
    'model',
    'condition',
    'trials',
    'ok',
    'gen failed',
    'exec failed',
    'infra',
    'unfinished',
    'checks passed',
    'tokens out',
  ]
  const body = rows.map((r) => [
    r.model,
    r.condition,
    String(r.trials),
    String(r.statuses.ok ?? 0),
    String(r.statuses.generation_failed ?? 0),
    String(r.statuses.execution_failed ?? 0),
    String(r.statuses.infra_error ?? 0),
    String(r.unfinished),
    `${r.checks.pass}/${r.checks.pass + r.checks.fail}${r.checks.skip ? ` (+${r.checks.skip} skipped)` : ''}`,
    String(r.tokensOut),
  ])
  return terminalTable([header, ...body])
}

/**
 * Why judge checks were skipped in a run, once (not under every skipped test): the distinct reasons,
 * with how many checks each skipped. Undefined when none were.
 */
export function judgeSkipNote(records: TrialView[]): string | undefined {
  const reasons = new Map<string, number>()
  for (const record of records) {
    for (const check of Object.values(record.checks)) {
      const reason = check.status === 'skip' ? check.measured?.judgeUnavailable : undefined
      if (typeof reason === 'string') reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
    }
  }
  if (reasons.size === 0) return undefined
  const lines = [...reasons].map(([reason, count]) => `${count} judge check(s) skipped: ${reason}`)
  return lines.join('\n')
}
