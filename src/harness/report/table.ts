/** Table and number formatting shared by every report (ablation, summary, gate, judge quality). */

/** Two decimals; '—' for no value, '∞' for an unbounded one (e.g. the MDE of a single goal). */
export const fixed = (value: number | undefined, digits = 2): string =>
  value === undefined ? '—' : Number.isFinite(value) ? value.toFixed(digits) : value > 0 ? '∞' : '-∞'

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

/** A share as a whole percentage; '—' for no value. */
export const percent = (value: number | undefined): string =>
  value === undefined ? '—' : `${Math.round(value * 100)}%`

/** A signed number with two decimals (+0.25, -0.10); ±∞ for an unbounded end. */
export const signed = (value: number): string =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(2)}` : value > 0 ? '+∞' : '-∞'

/** An estimate with its interval: "+0.25 [+0.05, +0.45]". */
export const withInterval = (estimate: number, ci: [number, number]): string =>
  `${signed(estimate)} [${signed(ci[0])}, ${signed(ci[1])}]`

/** A p-value: three decimals, or "<0.001". */
export const pValue = (p: number | undefined): string => (p === undefined ? '—' : p < 0.001 ? '<0.001' : p.toFixed(3))

/** Parameter counts as people write them: 135M, 14B, 1T; '—' when unknown. */
export const humanParams = (params: number | null): string =>
  params === null
    ? '—'
    : params >= 1e12
      ? `${params / 1e12}T`
      : params >= 1e9
        ? `${+(params / 1e9).toFixed(1)}B`
        : `${+(params / 1e6).toFixed(0)}M`

/** Samples per cell: an integer when every cell had the same number, else one decimal. */
export const samplesPerCell = (samples: number): string =>
  Number.isInteger(samples) ? String(samples) : samples.toFixed(1)
