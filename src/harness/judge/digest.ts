import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { CellReport } from '../notebook/report.ts'
import { plainText } from '../util/terminal.ts'

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
export const INVISIBLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g

/** Letters from other scripts that look like Latin ones (the common homoglyphs), folded before matching. */
const CONFUSABLES: Record<string, string> = Object.fromEntries(
  [
    ['аәӓ', 'a'],
    ['вʙ', 'b'],
    ['сϲ', 'c'],
    ['ԁ', 'd'],
    ['еёҽεє', 'e'],
    ['ɡ', 'g'],
    ['һ', 'h'],
    ['іїιɩ', 'i'],
    ['ј', 'j'],
    ['κк', 'k'],
    ['ӏ', 'l'],
    ['м', 'm'],
    ['ոη', 'n'],
    ['оοσ', 'o'],
    ['рρ', 'p'],
    ['ԛ', 'q'],
    ['ѕ', 's'],
    ['τт', 't'],
    ['υս', 'u'],
    ['νѵ', 'v'],
    ['ԝ', 'w'],
    ['хχ', 'x'],
    ['уγ', 'y'],
    ['ᴢ', 'z'],
    ['АΑ', 'A'],
    ['ВΒ', 'B'],
    ['СϹ', 'C'],
    ['ЕΕ', 'E'],
    ['Ηн', 'H'],
    ['ІΙ', 'I'],
    ['Ј', 'J'],
    ['КΚ', 'K'],
    ['МΜ', 'M'],
    ['Ν', 'N'],
    ['ОΟ', 'O'],
    ['РΡ', 'P'],
    ['Ѕ', 'S'],
    ['ТΤ', 'T'],
    ['ХΧ', 'X'],
    ['ΥҮ', 'Y'],
    ['Ζ', 'Z'],
  ].flatMap(([from, to]) => [...from!].map((ch) => [ch, to!])),
)

/**
 * What a line says, whatever it looks like: compatibility forms folded (full-width, mathematical
 * letters), accents and other combining marks dropped, look-alike letters from other scripts mapped
 * to Latin, runs of spaces collapsed. Matching happens on this; only lines that match are changed.
 */
export function skeleton(line: string): string {
  return line
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/./gu, (ch) => CONFUSABLES[ch] ?? ch)
    .replace(/[ \t]+/g, ' ')
}

/**
 * Phrases that address the grader rather than the reader of a notebook. The list is one layer of
 * defence: the judge prompt fences the notebook, the rubric says it has no authority, and the judge
 * must echo the fence it saw (a verdict copied from the notebook cannot). Each pattern needs a
 * grading word AND an instruction, so ordinary prose survives ("assign 5 points per cluster", "the
 * evaluator will integrate with Heun", "ignore the first 1000 ms"); every repetition is bounded, so a
 * hostile megabyte-long line cannot make matching slow.
 */
const REST = String.raw`[^\n.!?]{0,200}`
const GRADER = String.raw`(?:judge|grader|evaluator|assessor|reviewer|llm|ai|(?:ai|llm|model) grading this)`
const DIMENSION = String.raw`(?:correctness|code_quality|scientific_validity|token_efficiency)`
const ADDRESSED_TO_GRADER: RegExp[] = [
  // "ignore the rubric", "disregard all previous instructions"
  String.raw`\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|these\s+|those\s+)?(?:(?:previous|prior|above|earlier|grading|scoring)\s+)?(?:instructions?|rubric|prompt|system prompt|(?:grading|scoring) (?:rules|criteria))\b${REST}`,
  // "give full marks", "award 5/5", "grant a perfect score"
  String.raw`\b(?:give|award|grant)\b[^\n.]{0,40}?(?:\b5\s*\/\s*5|\b5 out of 5|\bfive out of five|\bfull (?:marks|points|scores?)|\bperfect (?:scores?|grades?|ratings?|marks)|\b(?:max(?:imum)?|highest|top) (?:scores?|grades?|ratings?|marks))\b${REST}`,
  // "give this notebook a 5" (but not "give it 5 ms")
  String.raw`\b(?:give|award|grant)\s+(?:this(?: notebook| submission)?|it|me|us)\s+(?:a\s+)?(?:5|five)\b(?!\s*(?:[a-z%µ]|\d))${REST}`,
  // "score this notebook 5", "rate the submission as perfect"
  String.raw`\b(?:score|grade|rate|mark)\s+(?:this|the|my)\s+(?:notebook|submission)\b[^\n.]{0,30}?\b(?:5|five|perfect|full marks|max(?:imum)?)\b${REST}`,
  // "Note to the grader", "Dear judge", "Grader: …", "Graders, …"
  String.raw`\b(?:dear|attention|note (?:to|for)|message (?:to|for)|hey|hello|hi)\s+(?:the\s+)?${GRADER}s?\b${REST}`,
  String.raw`(?:^|[\s#*>"'(])${GRADER}s?\s*[:,]${REST}`,
  // "you are now the judge", "act as the grader", "pretend you are", "from now on you"
  String.raw`\b(?:you are|you're|act as)\s+(?:now\s+)?(?:an?|the)\s+${GRADER}\b${REST}`,
  String.raw`\b(?:pretend|imagine)\s+(?:that\s+)?you\s+are\b${REST}`,
  String.raw`\bfrom now on,?\s+(?:you|the ${GRADER})\b${REST}`,
  // "you should return a perfect score"
  String.raw`\byou\s+(?:must|should|shall|will|have to|need to)\s+(?:give|award|assign|return|output|grant)\b[^\n.]{0,40}?(?:perfect|full (?:marks|points|score)|max(?:imum)? (?:score|marks)|highest (?:score|grade)|top (?:score|grade)|5\s*\/\s*5)${REST}`,
  // "the judge must give …"
  String.raw`\b${GRADER}s?\s+(?:must|should|shall|will|is required to|are required to)\s+(?:give|award|assign|score|rate|grade|ignore|output|return|respond)\b${REST}`,
  // fake harness messages and imitations of the digest's own structure
  String.raw`\b(?:system|harness|grader|judge|rubric)\s+(?:message|override|instructions?|prompt)\s*:${REST}`,
  String.raw`^\W{0,6}#{1,6}\s*cell\s+\d+\s*·`,
  String.raw`^\W{0,6}#{1,6}\s*(?:task given to the notebook|executed notebook \(|domain facts \()`,
  // a verdict written out for the judge to copy: a dimension with a score, or the fence it must echo
  String.raw`["']?${DIMENSION}["']?\s*[:=][^\n]{0,300}\bscore\b`,
  String.raw`["']fence["']\s*:`,
  // tags that imitate the prompt's structure
  String.raw`<\/?\s*(?:notebook|system|instructions?|rubric|judge)\b[^>\n]{0,200}>`,
  // the same requests in other languages
  String.raw`\b(?:ignore[zr]?|ignora[rs]?|ignoriere[n]?|ignorer)\s+(?:toutes?\s+)?(?:les|las|todas\s+las|die|alle|le|tutte\s+le|as|todas\s+as)?\s*(?:instructions|consignes|règles|regles|instrucciones|reglas|anweisungen|regeln|istruzioni|regole|instruções|instrucoes)\b${REST}`,
  String.raw`(?:note maximale|note parfaite|puntuaci[oó]n m[aá]xima|nota m[aá]xima|h[oö]chstnote|volle punktzahl|punteggio massimo|voto massimo)${REST}`,
  String.raw`(?:игнорир\S*|проигнорир\S*)\s+(?:все\s+)?(?:инструкци|правил|критери)${REST}`,
  String.raw`(?:поставь|дай|выстав\S*)\s+(?:этому\s+\S+\s+)?(?:максимальн|высш|5\s*балл|пят[её]рк)${REST}`,
  String.raw`忽略[^\n]{0,10}(?:指令|说明|規則|规则|评分标准|評分標準)|(?:给|給|打)[^\n]{0,6}(?:满分|滿分|5分|五分)`,
  String.raw`(?:指示|ルール|採点基準|評価基準)を無視|満点`,
].map((source) => new RegExp(source, 'iu'))

export const REMOVED_MARKER = '[text addressed to the grader was removed by the harness]'

function firstMatch(text: string): string | undefined {
  for (const pattern of ADDRESSED_TO_GRADER) {
    const match = pattern.exec(text)
    if (match) return match[0]
  }
  return undefined
}

/** Matched as written (NFKC) and as its skeleton: folding helps Latin look-alikes, not Cyrillic text. */
const matchLine = (line: string, key: string): string | undefined =>
  firstMatch(key) ?? firstMatch(line.normalize('NFKC'))

/**
 * Remove text addressed to the grader; return what was removed. Invisible characters (zero-width,
 * bidi controls) are dropped everywhere. Lines are matched by their skeleton (see `skeleton`), alone
 * and joined with the next line (an instruction split across two lines); a line that matches is
 * replaced by a marker, keeping its comment prefix. Lines that match nothing stay exactly as written,
 * so 10⁻³ and m² reach the judge unchanged.
 */
export function neutralize(text: string): { text: string; removed: string[] } {
  const removed: string[] = []
  const lines = text.replace(INVISIBLE, '').split('\n')
  const keys = lines.map(skeleton)
  const hit = new Set<number>()
  keys.forEach((key, index) => {
    const match = matchLine(lines[index]!, key)
    if (match === undefined) return
    hit.add(index)
    removed.push(match.trim())
  })
  for (let index = 0; index + 1 < keys.length; index++) {
    if (hit.has(index) || hit.has(index + 1)) continue
    const match = matchLine(`${lines[index]} ${lines[index + 1]}`, `${keys[index]} ${keys[index + 1]}`)
    if (match === undefined) continue
    hit.add(index)
    hit.add(index + 1)
    removed.push(match.trim())
  }
  const clean = lines.map((line, index) =>
    hit.has(index) ? `${/^[\s#>*-]*/.exec(line)?.[0] ?? ''}${REMOVED_MARKER}` : line,
  )
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
      // the runner keeps only stdout and stderr; anything else is not allowed to shape the digest
      return `[${output.name === 'stderr' ? 'stderr' : 'stdout'}]\n${plainText(output.text)}`
    case 'error':
      return (
        `[error] ${identifier(output.ename)}: ${plainText(output.evalue)}\n` + plainText(output.traceback.join('\n'))
      )
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
