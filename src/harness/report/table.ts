/** Table and number formatting shared by every report (ablation, summary, gate, judge quality). */

/** Two decimals; '—' for no value, '∞' for an unbounded one (e.g. the MDE of a single goal). */
export const fixed = (value: number | undefined, digits = 2): string =>
  value === undefined ? '—' : Number.isFinite(value) ? value.toFixed(digits) : '∞'

/** Rows (header first) as aligned columns for the terminal. */
export function terminalTable(rows: string[][]): string {
  const [header = [], ...body] = rows
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...body.map(line)].join('\n')
}

/** Rows (header first) as a GitHub-flavoured Markdown table. */
export function markdownTable(rows: string[][]): string {
  const [header = [], ...body] = rows
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')
}
