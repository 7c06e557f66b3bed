import { createReadStream } from 'node:fs'
import { mkdir, open, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { z } from 'zod'
import type { PairedDelta } from '../report/stats.ts'
import { fixed, markdownTable, signed, terminalTable } from '../report/table.ts'

/**
 * The study's record: `results/<improve id>/ledger.jsonl`, one JSON line per decision (the A/A noise
 * floor, each proposal, each re-validation), then why it stopped and the final comparison — appended
 * and synced, so a killed study resumes from its last line. `results.tsv` is rendered from it after
 * every line: one row per decision, for people and spreadsheets.
 */

export const LEDGER_FILE = 'ledger.jsonl'
export const TSV_FILE = 'results.tsv'

/** One student's paired Δ (candidate − champion), with its interval (null: unbounded) and n. */
const DeltaCellSchema = z
  .object({
    student: z.string(),
    delta: z.number(),
    lo: z.number().nullable(),
    hi: z.number().nullable(),
    n: z.number().int(),
    unpaired: z.number().int(),
    /** The arms' means over the paired goals. */
    champion: z.number(),
    candidate: z.number(),
  })
  .strict()
export type DeltaCell = z.infer<typeof DeltaCellSchema>

const SpendSchema = z
  .object({ tokensIn: z.number().int(), tokensOut: z.number().int(), cost: z.number().nullable() })
  .strict()
export type Spend = z.infer<typeof SpendSchema>

export const DECISIONS = [
  'floor',
  'accepted',
  'rejected',
  'reverted',
  'refused',
  'invalid',
  'validated',
  'unvalidated',
] as const
export type Decision = (typeof DECISIONS)[number]

const RowSchema = z
  .object({
    schema: z.literal('skilldelta.improve/1'),
    kind: z.enum(['aa', 'proposal', 'revalidation']),
    iteration: z.number().int().min(0),
    /** Library hashes: the champion the row started from, and the candidate it measured. */
    parent: z.string(),
    candidate: z.string(),
    /** The champion after this row. */
    champion: z.string(),
    skill: z.string(),
    change: z.string(),
    /** The failure cluster targeted: its id and title. */
    cluster: z.string(),
    clusterTitle: z.string(),
    screen: z.string(),
    train: z.array(DeltaCellSchema),
    holdout: z.array(DeltaCellSchema),
    /** The A/A noise floor per student (null: unbounded, fewer than 5 goals). */
    floors: z.record(z.string(), z.number().nullable()),
    decision: z.enum(DECISIONS),
    reason: z.string(),
    /** Estimated tokens of the candidate library and of the champion before the row. */
    libraryTokens: z.number().int(),
    parentTokens: z.number().int(),
    teacher: SpendSchema,
    students: SpendSchema,
    wallSeconds: z.number(),
    /** The evaluation runs (results/<run id>/) the row's numbers come from. */
    runs: z.array(z.string()),
    at: z.string(),
  })
  .strict()
export type Row = z.infer<typeof RowSchema>

const StopSchema = z
  .object({ schema: z.literal('skilldelta.improve/1'), kind: z.literal('stop'), reason: z.string(), at: z.string() })
  .strict()

const FinalRowSchema = z
  .object({ student: z.string(), set: z.enum(['train', 'holdout']), cell: DeltaCellSchema.nullable() })
  .strict()

const FinalSchema = z
  .object({
    schema: z.literal('skilldelta.improve/1'),
    kind: z.literal('final'),
    start: z.string(),
    end: z.string(),
    startTokens: z.number().int(),
    endTokens: z.number().int(),
    /** fresh: both libraries on samples no decision saw; reuse: the samples decisions were made on. */
    samples: z.enum(['fresh', 'reuse', 'none']),
    rows: z.array(FinalRowSchema),
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
    runs: z.array(z.string()),
    at: z.string(),
  })
  .strict()
export type Final = z.infer<typeof FinalSchema>

const EntrySchema = z.discriminatedUnion('kind', [RowSchema, StopSchema, FinalSchema])
export type Entry = z.infer<typeof EntrySchema>

export function deltaCell(student: string, delta: PairedDelta): DeltaCell {
  const bound = (x: number) => (Number.isFinite(x) ? x : null)
  return {
    student,
    delta: delta.delta,
    lo: bound(delta.ci[0]),
    hi: bound(delta.ci[1]),
    n: delta.n,
    unpaired: delta.unpaired,
    champion: delta.meanWithout,
    candidate: delta.meanWith,
  }
}

export async function readLedger(dir: string): Promise<Entry[]> {
  const entries: Entry[] = []
  try {
    const stream = createReadStream(path.join(dir, LEDGER_FILE), { encoding: 'utf8' })
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject))
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      if (!line.trim()) continue
      try {
        const parsed = EntrySchema.safeParse(JSON.parse(line))
        if (parsed.success) entries.push(parsed.data)
      } catch {
        // a line torn by a kill mid-write: the decision it held is redone
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  return entries
}

/** Append one entry (synced) and re-render results.tsv from the whole ledger. */
export async function appendEntry(dir: string, entry: Entry, students: string[]): Promise<void> {
  await mkdir(dir, { recursive: true })
  const handle = await open(path.join(dir, LEDGER_FILE), 'a')
  try {
    await handle.write(`${JSON.stringify(EntrySchema.parse(entry))}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  const tsv = path.join(dir, TSV_FILE)
  await writeFile(`${tsv}.tmp`, renderTsv(await readLedger(dir), students))
  await rename(`${tsv}.tmp`, tsv)
}

const bound = (x: number | null, lower: boolean): string => (x === null ? (lower ? '-∞' : '+∞') : signed(x))

/** "+0.42 [+0.25, +0.58] n=6", one per student ("name: …; name: …" with several). */
export function formatCells(cells: DeltaCell[], students: string[]): string {
  const one = (c: DeltaCell) => `${signed(c.delta)} [${bound(c.lo, true)}, ${bound(c.hi, false)}] n=${c.n}`
  if (cells.length === 0) return ''
  return cells.map((c) => (students.length > 1 ? `${c.student}: ${one(c)}` : one(c))).join('; ')
}

const money = (spend: Spend): string => (spend.cost === null ? '' : spend.cost.toFixed(4))

export const TSV_COLUMNS = [
  'iteration',
  'kind',
  'parent',
  'candidate',
  'skill',
  'change',
  'cluster',
  'screen',
  'delta_train',
  'delta_holdout',
  'aa_floor',
  'decision',
  'library_tokens',
  'teacher_tokens',
  'teacher_cost',
  'student_tokens',
  'student_cost',
  'wall_s',
  'reason',
] as const

/** results.tsv: one row per decision (tabs and line breaks in text become spaces). */
export function renderTsv(entries: Entry[], students: string[]): string {
  const clean = (text: string) => text.replace(/[\t\r\n]+/g, ' ')
  const rows = entries.filter((e): e is Row => e.kind !== 'stop' && e.kind !== 'final')
  const floors = (row: Row) =>
    Object.entries(row.floors)
      .map(([student, floor]) => {
        const value = floor === null ? '∞' : floor.toFixed(2)
        return students.length > 1 ? `${student}: ${value}` : value
      })
      .join('; ')
  const lines = rows.map((row) =>
    [
      String(row.iteration),
      row.kind,
      row.parent,
      row.candidate,
      row.skill,
      row.change,
      row.clusterTitle,
      row.screen,
      formatCells(row.train, students),
      formatCells(row.holdout, students),
      floors(row),
      row.decision,
      String(row.libraryTokens),
      String(row.teacher.tokensIn + row.teacher.tokensOut),
      money(row.teacher),
      String(row.students.tokensIn + row.students.tokensOut),
      money(row.students),
      row.wallSeconds.toFixed(0),
      row.reason,
    ]
      .map(clean)
      .join('\t'),
  )
  return `${[TSV_COLUMNS.join('\t'), ...lines].join('\n')}\n`
}

/** The final comparison: start vs end library per student on train and holdout, and what changed. */
export function formatFinal(final: Final, markdown = false): string {
  const skills = (names: string[]) => (names.length ? names.join(', ') : '—')
  const head = [
    `start library ${final.start} (${final.startTokens} tokens) → end library ${final.end} (${final.endTokens} tokens)`,
    `skills added: ${skills(final.added)}; changed: ${skills(final.changed)}; removed: ${skills(final.removed)}`,
  ]
  if (final.samples === 'none')
    return [...head, 'No change was accepted: the end library is the start library.'].join('\n')
  const rows = [
    ['Student', 'Set', 'Start', 'End', 'Δ [95% CI]', 'Goals'],
    ...final.rows.map((r) =>
      r.cell
        ? [
            r.student,
            r.set,
            fixed(r.cell.champion),
            fixed(r.cell.candidate),
            `${signed(r.cell.delta)} [${bound(r.cell.lo, true)}, ${bound(r.cell.hi, false)}]`,
            String(r.cell.n),
          ]
        : [r.student, r.set, '—', '—', 'no paired goals', '0'],
    ),
  ]
  const note =
    final.samples === 'fresh'
      ? 'Both libraries on fresh samples no decision saw ' +
        '(the holdout goals confirmed changes, so they are not untouched).'
      : 'On the samples the decisions were made on: the train Δ is optimistic (winner’s curse).'
  return [...head, '', markdown ? markdownTable(rows) : terminalTable(rows), '', note].join('\n')
}
