import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { TrialRecordSchema, type TrialRecord } from './record.ts'
import { terminalTable } from '../report/table.ts'

/** Every trial record of a run, read from results/<run id>/ (records are the source of truth). */
export async function readRunRecords(resultsDir: string, runId: string): Promise<TrialRecord[]> {
  const root = path.join(resultsDir, runId)
  const records: TrialRecord[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory() && entry.name !== 'sandbox') await walk(path.join(dir, entry.name))
      else if (entry.isFile() && entry.name === 'trial.json') {
        const parsed = TrialRecordSchema.safeParse(JSON.parse(await readFile(path.join(dir, entry.name), 'utf8')))
        if (parsed.success) records.push(parsed.data)
      }
    }
  }
  await walk(root)
  return records.sort(
    (a, b) =>
      a.model.name.localeCompare(b.model.name) ||
      a.condition.localeCompare(b.condition) ||
      a.goal.id.localeCompare(b.goal.id) ||
      a.sample - b.sample,
  )
}

export interface RunSummaryRow {
  model: string
  condition: string
  trials: number
  statuses: Record<string, number>
  checks: { pass: number; fail: number; skip: number }
  tokensOut: number
}

export function summariseRecords(records: TrialRecord[]): RunSummaryRow[] {
  const rows = new Map<string, RunSummaryRow>()
  for (const record of records) {
    const key = `${record.model.name}\u0000${record.condition}`
    const row = rows.get(key) ?? {
      model: record.model.name,
      condition: record.condition,
      trials: 0,
      statuses: {},
      checks: { pass: 0, fail: 0, skip: 0 },
      tokensOut: 0,
    }
    row.trials += 1
    row.statuses[record.status] = (row.statuses[record.status] ?? 0) + 1
    for (const check of Object.values(record.checks)) row.checks[check.status] += 1
    row.tokensOut += record.generation?.tokensOut ?? 0
    rows.set(key, row)
  }
  return [...rows.values()]
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
    `${r.checks.pass}/${r.checks.pass + r.checks.fail}${r.checks.skip ? ` (+${r.checks.skip} skipped)` : ''}`,
    String(r.tokensOut),
  ])
  return terminalTable([header, ...body])
}
