import { terminalTable } from '../report/table.ts'
import type { NotebookRow } from './plan.ts'

/**
 * ✓ passed, as it must   ✗ failed, as a control's target must   ! not what was expected
 * · not asserted (after a control's intended crash)
 */
function mark(check: NotebookRow['checks'][number]): string {
  if (check.expected === 'any') return check.status === 'pass' ? '✓·' : '·'
  // a target kind with several checks needs one failure (the row's verdict says whether it got one)
  if (check.expected === 'fail') return check.status === 'fail' ? '✗' : '✓'
  return check.status === 'pass' ? '✓' : `!${check.status}`
}

/** Oracle: every check passes. Control: each target kind fails at least once, every other check passes. */
export function asExpected(row: NotebookRow): boolean {
  const others = row.checks.every((c) => c.expected !== 'pass' || c.status === 'pass')
  const targets = new Set(row.checks.filter((c) => c.expected === 'fail').map((c) => c.kind))
  return others && [...targets].every((k) => row.checks.some((c) => c.kind === k && c.status === 'fail'))
}

/** Rows as a terminal table: one column per check kind the rows use, several checks of a kind joined. */
export function formatOracleTable(rows: NotebookRow[]): string {
  const kinds = [...new Set(rows.flatMap((r) => r.checks.map((c) => c.kind)))]
  const header = ['goal', 'notebook', 's', 'as expected', ...kinds]
  const body = rows.map((r) => [
    r.role === 'oracle' ? r.goal : '',
    r.role === 'oracle' ? 'oracle' : `control ${r.notebook.split('__')[1] ?? r.notebook}`,
    r.seconds.toFixed(0),
    asExpected(r) ? 'yes' : 'NO',
    ...kinds.map((k) =>
      r.checks
        .filter((c) => c.kind === k)
        .map(mark)
        .join(' '),
    ),
  ])
  const oracles = rows.filter((r) => r.role === 'oracle')
  const controls = rows.filter((r) => r.role === 'control')
  const good = oracles.filter(asExpected).length
  const caught = controls.filter(asExpected).length
  const total = rows.reduce((sum, r) => sum + r.seconds, 0)
  const slowest = oracles.reduce((max, r) => Math.max(max, r.seconds), 0)
  return [
    terminalTable([header, ...body]),
    `oracles passing every objective check: ${good}/${oracles.length}; ` +
      `controls failing exactly their targets: ${caught}/${controls.length}`,
    `notebook wall time: ${total.toFixed(0)} s in all, slowest oracle ${slowest.toFixed(0)} s`,
    '✓ pass  ✗ fail (a control’s target)  !status unexpected  · not asserted after a control’s intended crash',
  ].join('\n')
}
