import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { CellReport } from '../notebook/report.ts'
import { stripAnsi } from '../util/ansi.ts'

/**
 * What the judge reads: the EXECUTED notebook, cell by cell — source, execution status, text
 * outputs and tracebacks — with images dropped and each cell cut head+tail to a shared budget,
 * so the end of a long cell (where results and errors are) is never lost. The notebook is
 * hostile data: text addressed to the grader is removed and flagged before the judge sees it.
 */

const MultilineSchema = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v.join('') : v))

const OutputSchema = z.discriminatedUnion('output_type', [
  z
    .object({ output_type: z.literal('stream'), name: z.string().default('stdout'), text: MultilineSchema })
    .passthrough(),
  z
    .object({ output_type: z.literal('execute_result'), data: z.record(z.string(), z.unknown()).default({}) })
    .passthrough(),
  z
    .object({ output_type: z.literal('display_data'), data: z.record(z.string(), z.unknown()).default({}) })
    .passthrough(),
  z
    .object({
      output_type: z.literal('error'),
      ename: z.string(),
      evalue: z.string(),
      traceback: z.array(z.string()).default([]),
    })
    .passthrough(),
])

const CellSchema = z
  .object({
    cell_type: z.string(),
    source: MultilineSchema,
    outputs: z.array(z.unknown()).default([]),
  })
  .passthrough()

const NotebookJsonSchema = z.object({ cells: z.array(CellSchema) }).passthrough()

interface InjectionFlag {
  cell: number
  /** The removed text, shortened, for the record and the UI. */
  excerpt: string
}

export interface NotebookDigest {
  text: string
  /** sha256 of the text: with the rubric hash and judge model it keys the judgement cache. */
  hash: string
  cells: number
  truncatedCells: number
  /** Passages addressed to the grader that were removed. */
  flags: InjectionFlag[]
}

interface DigestOptions {
  /** Budget for the whole digest, in characters. */
  maxChars: number
}

// zero-width and bidi controls hide or reorder text a human reviewer would see differently
const INVISIBLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g

/**
 * Phrases that address the grader rather than the reader of a notebook. The list is one layer of
 * defence (the judge prompt fences the notebook and the rubric says it has no authority). Each
 * pattern needs a grading word AND an instruction, so ordinary prose survives ("assign 5 points
 * per cluster", "the evaluator will integrate with Heun", "ignore the first 1000 ms"); every
 * repetition is bounded, so a hostile megabyte-long line cannot make matching slow.
 */
const REST = String.raw`[^\n.!?]{0,200}`
const GRADER = String.raw`(?:judge|grader|evaluator|assessor|reviewer|llm|ai)`
const ADDRESSED_TO_GRADER: RegExp[] = [
  // "ignore the rubric", "disregard all previous instructions"
  new RegExp(
    String.raw`\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|these\s+|those\s+)?(?:(?:previous|prior|above|earlier|grading|scoring)\s+)?(?:instructions?|rubric|prompt|system prompt|grading (?:rules|criteria))\b${REST}`,
    'gi',
  ),
  // "give full marks", "award 5/5", "grant a perfect score"
  new RegExp(
    String.raw`\b(?:give|award|grant)\b[^\n.]{0,40}?(?:\b5\s*\/\s*5|\b5 out of 5|\bfive out of five|\bfull (?:marks|points|scores?)|\bperfect (?:scores?|grades?|ratings?|marks)|\b(?:max(?:imum)?|highest|top) (?:scores?|grades?|ratings?|marks))\b${REST}`,
    'gi',
  ),
  // "give this notebook a 5" (but not "give it 5 ms")
  new RegExp(
    String.raw`\b(?:give|award|grant)\s+(?:this(?: notebook| submission)?|it|me|us)\s+(?:a\s+)?(?:5|five)\b(?!\s*(?:[a-z%µ]|\d))${REST}`,
    'gi',
  ),
  // "score this notebook 5", "rate the submission as perfect"
  new RegExp(
    String.raw`\b(?:score|grade|rate|mark)\s+(?:this|the|my)\s+(?:notebook|submission)\b[^\n.]{0,30}?\b(?:5|five|perfect|full marks|max(?:imum)?)\b${REST}`,
    'gi',
  ),
  // "Note to the grader", "Dear judge", "Grader: …", "Graders, …"
  new RegExp(
    String.raw`\b(?:dear|attention|note (?:to|for)|message (?:to|for)|hey|hello|hi)\s+(?:the\s+)?${GRADER}s?\b${REST}`,
    'gi',
  ),
  new RegExp(String.raw`(?:^|[\s#*>"'(])${GRADER}s?\s*[:,]${REST}`, 'gim'),
  // "you are now the judge", "act as the grader"
  new RegExp(String.raw`\b(?:you are|you're|act as)\s+(?:now\s+)?(?:an?|the)\s+${GRADER}\b${REST}`, 'gi'),
  // "the judge must give …"
  new RegExp(
    String.raw`\b${GRADER}s?\s+(?:must|should|shall|is required to|are required to)\s+(?:give|award|assign|score|rate|grade|ignore|output|return|respond)\b${REST}`,
    'gi',
  ),
  // fake harness messages
  new RegExp(
    String.raw`\b(?:system|harness|grader|judge|rubric)\s+(?:message|override|instructions?|prompt)\s*:${REST}`,
    'gi',
  ),
  // tags that imitate the prompt's structure
  /<\/?\s*(?:notebook|system|instructions?|rubric|judge)\b[^>\n]{0,200}>/gi,
]

export const REMOVED_MARKER = '[text addressed to the grader was removed by the harness]'

/**
 * Remove text addressed to the grader; return what was removed. Invisible characters (zero-width,
 * bidi controls) are dropped everywhere; Unicode compatibility forms (full-width letters, …) are
 * folded only in lines that contained such text, so 10⁻³ and m² reach the judge as written.
 */
export function neutralize(text: string): { text: string; removed: string[] } {
  const removed: string[] = []
  const lines = text.replace(INVISIBLE, '').split('\n')
  const clean = lines.map((line) => {
    let folded = line.normalize('NFKC')
    let hit = false
    for (const pattern of ADDRESSED_TO_GRADER) {
      folded = folded.replace(pattern, (match) => {
        hit = true
        removed.push(match.trim())
        return match.startsWith(' ') || match.startsWith('#') ? `${match[0]}${REMOVED_MARKER}` : REMOVED_MARKER
      })
    }
    return hit ? folded : line
  })
  return { text: clean.join('\n'), removed }
}

/** Keep the head and the tail; say how much was cut from the middle. */
export function headTail(text: string, budget: number): { text: string; truncated: boolean } {
  if (text.length <= budget) return { text, truncated: false }
  const marker = (n: number) => `\n… [${n} characters omitted by the harness] …\n`
  const keep = Math.max(0, budget - marker(text.length).length)
  const head = Math.ceil(keep * 0.6)
  const tail = keep - head
  return {
    text: text.slice(0, head) + marker(text.length - keep) + (tail > 0 ? text.slice(-tail) : ''),
    truncated: true,
  }
}

interface CellParts {
  header: string
  body: string
}

function outputText(raw: unknown): string {
  const parsed = OutputSchema.safeParse(raw)
  if (!parsed.success) return '[an output the harness could not read]'
  const output = parsed.data
  switch (output.output_type) {
    case 'stream':
      return `[${output.name}]\n${stripAnsi(output.text)}`
    case 'error':
      return `[error] ${output.ename}: ${output.evalue}\n${stripAnsi(output.traceback.join('\n'))}`
    default: {
      const kinds = Object.keys(output.data)
      const plain = output.data['text/plain']
      const images = kinds.filter((k) => k.startsWith('image/'))
      const parts: string[] = []
      if (images.length) parts.push(`[${images.join(', ')} output dropped from the digest]`)
      else if (plain !== undefined)
        parts.push(
          `[${output.output_type === 'execute_result' ? 'result' : 'display'}]\n${MultilineSchema.parse(plain)}`,
        )
      else if (kinds.length) parts.push(`[${kinds.join(', ')} output dropped from the digest]`)
      return parts.join('\n')
    }
  }
}

/** Header fields come from the notebook too (an exception class can be named anything): keep them to identifiers. */
const identifier = (text: string): string => text.replace(/[^\w.]/g, '_').slice(0, 80)

function cellParts(cell: z.infer<typeof CellSchema>, index: number, report: CellReport | undefined): CellParts {
  if (cell.cell_type !== 'code')
    return { header: `### cell ${index} · ${identifier(cell.cell_type)}`, body: cell.source }
  const status = report?.status ?? 'unknown'
  const error = report?.error ? ` (${identifier(report.error.ename)})` : ''
  const outputs = cell.outputs.map(outputText).filter(Boolean)
  const body = `${cell.source}${outputs.length ? `\n--- outputs ---\n${outputs.join('\n')}` : ''}`
  return { header: `### cell ${index} · code · status: ${status}${error}`, body }
}

/** Build the digest of an executed notebook (nbformat JSON) with the runner's per-cell statuses. */
export function digestNotebook(notebookJson: string, cells: CellReport[], options: DigestOptions): NotebookDigest {
  const notebook = NotebookJsonSchema.parse(JSON.parse(notebookJson))
  const reports = new Map(cells.map((c) => [c.index, c]))
  const flags: InjectionFlag[] = []
  const parts = notebook.cells.map((cell, index) => {
    const part = cellParts(cell, index, reports.get(index))
    // no cell can be worth more than the whole budget: cut first, so filtering work stays bounded
    const { text, removed } = neutralize(headTail(part.body, options.maxChars).text)
    flags.push(...removed.map((excerpt) => ({ cell: index, excerpt: excerpt.slice(0, 200) })))
    return { header: part.header, body: text }
  })
  // share the budget: short cells keep everything, long ones split what the short ones left
  const overhead = parts.reduce((sum, p) => sum + p.header.length + 2, 0)
  let remaining = Math.max(0, options.maxChars - overhead)
  const floor = Math.min(200, Math.floor(options.maxChars / Math.max(1, parts.length)))
  const order = parts.map((p, i) => i).sort((a, b) => parts[a]!.body.length - parts[b]!.body.length)
  const budgets = new Array<number>(parts.length).fill(0)
  order.forEach((index, rank) => {
    const fair = Math.floor(remaining / (parts.length - rank))
    budgets[index] = Math.min(parts[index]!.body.length, Math.max(fair, floor))
    remaining = Math.max(0, remaining - budgets[index]!)
  })
  let truncatedCells = 0
  const joined = parts
    .map((part, index) => {
      const cut = headTail(part.body, budgets[index]!)
      if (cut.truncated) truncatedCells += 1
      return `${part.header}\n${cut.text}`
    })
    .join('\n\n')
  // thousands of cells can still outgrow the budget through their headers and floors: cap the whole
  const text = headTail(joined, options.maxChars).text
  return { text, hash: createHash('sha256').update(text).digest('hex'), cells: parts.length, truncatedCells, flags }
}
