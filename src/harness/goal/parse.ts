import { createHash } from 'node:crypto'
import path from 'node:path'
import { LineCounter, isMap, isNode, isPair, parseDocument, type Document, type Node as YamlNode } from 'yaml'
import type { z } from 'zod'
import { DEFAULT_JUDGE_SCORE } from '../checks/judge-score.ts'
import { CHECK_KEYS, checkKind, instantiateChecks, type ChecksBlock } from '../checks/registry.ts'
import { DEFAULT_TIMEOUT_SECONDS, FrontmatterSchema, TIERS, type Frontmatter, type Goal, type Tier } from './schema.ts'

/** A GOAL.md problem located at a line of the file, with the field and a fix. */
export class GoalError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly field: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${file}:${line}:${column}: ${field ? `${field}: ` : ''}${problem}${fix ? `\n  fix: ${fix}` : ''}`)
    this.name = 'GoalError'
  }
}

type ParseResult = { ok: true; goal: Goal } | { ok: false; error: GoalError }

const FRONTMATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/

interface Located {
  doc: Document.Parsed | undefined
  counter: LineCounter
  /** 1-based line in the GOAL.md where the frontmatter text starts. */
  firstLine: number
}

function lineOf(located: Located, offset: number): { line: number; column: number } {
  const { line, col } = located.counter.linePos(offset)
  return { line: line + located.firstLine - 1, column: col }
}

/** Position of the YAML node at `fieldPath`, or of its nearest existing ancestor. */
function positionOf(located: Located, fieldPath: PropertyKey[]): { line: number; column: number } {
  const { doc } = located
  if (!doc) return { line: located.firstLine, column: 1 }
  for (let depth = fieldPath.length; depth >= 0; depth--) {
    const keys = fieldPath.slice(0, depth)
    const node = keys.length ? doc.getIn(keys as unknown[], true) : doc.contents
    if (isNode(node) && node.range) {
      // prefer the key's position: "band:" is where a reader looks
      const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1) as unknown[], true) : doc.contents
      if (isMap(parent)) {
        const pair = parent.items.find(
          (item) =>
            isPair(item) && isNode(item.key) && (item.key as YamlNode & { value?: unknown }).value === keys.at(-1),
        )
        if (pair && isNode(pair.key) && pair.key.range) return lineOf(located, pair.key.range[0])
      }
      return lineOf(located, node.range[0])
    }
  }
  return { line: located.firstLine, column: 1 }
}

const TOP_LEVEL_KEYS = Object.keys(FrontmatterSchema.shape).join(', ')

/** The keys a fix message lists for an unknown key under `parent` (the frontmatter, checks, or a check kind). */
function knownKeys(parent: string): string {
  if (parent === 'checks') return CHECK_KEYS.join(', ')
  if (CHECK_KEYS.includes(parent)) {
    const shape = (checkKind(parent).schema as { shape?: Record<string, unknown> }).shape
    if (shape) return Object.keys(shape).join(', ')
  }
  return TOP_LEVEL_KEYS
}

/** zod reports a union failure as one issue per branch; keep the most specific one. */
function mostSpecific(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue
  const candidates = issue.errors.flat().map((nested) => {
    const specific = mostSpecific(nested)
    return { ...specific, path: [...issue.path, ...specific.path] } as z.core.$ZodIssue
  })
  // a branch that got past the type check says more than "expected array"
  candidates.sort(
    (a, b) => Number(a.code === 'invalid_type') - Number(b.code === 'invalid_type') || b.path.length - a.path.length,
  )
  return candidates[0] ?? issue
}

function fixFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const parentKey = String(issue.path.filter((p) => typeof p === 'string').at(-1) ?? '')
    const known = knownKeys(parentKey)
    return `remove or correct ${issue.keys.map((k) => `"${k}"`).join(', ')}; known keys here: ${known}`
  }
  if (issue.code === 'invalid_value' && 'values' in issue) return `use one of: ${issue.values.map(String).join(', ')}`
  return 'see docs/goals.md for the GOAL.md format'
}

function defaultId(file: string): { id: string; folderTier: string | undefined } {
  const parts = path.resolve(file).split(path.sep)
  const root = parts.lastIndexOf('benchmarks')
  const relative = root >= 0 ? parts.slice(root + 1) : parts.slice(-2)
  const name = relative.join('/').replace(/\.GOAL\.md$/i, '')
  return {
    id: name.toLowerCase().replace(/[^a-z0-9_\-/]+/g, '_'),
    folderTier: relative.length > 1 ? relative[0] : undefined,
  }
}

/** Split a Markdown body into sections keyed by heading text ("Goal: …" headings are titles). */
function sectionsOf(body: string): { sections: Record<string, string>; heading?: { text: string; line: number } } {
  const sections: Record<string, string> = {}
  let heading: { text: string; line: number } | undefined
  let current: string | undefined
  const lines = body.split(/\r?\n/)
  lines.forEach((line, index) => {
    const match = /^(#{1,3})\s+(.+?)\s*#*\s*$/.exec(line)
    if (match?.[1] && match[2]) {
      if (match[1].length === 1 && !heading) heading = { text: match[2].replace(/^goal\s*:\s*/i, ''), line: index }
      current = match[2]
      sections[current] = ''
      return
    }
    if (current !== undefined) sections[current] = `${sections[current]}${line}\n`
  })
  for (const key of Object.keys(sections)) sections[key] = (sections[key] ?? '').trim()
  return heading ? { sections, heading } : { sections }
}

/** Control characters and line separators have no business in a benchmark path (they enable injection). */
const UNSAFE_PATH = /[\p{Cc}\u2028\u2029`]/u

export function parseGoal(source: string, file: string): ParseResult {
  const displayFile = path.relative(process.cwd(), file) || file
  if (UNSAFE_PATH.test(file)) {
    const printable = JSON.stringify(displayFile)
    return {
      ok: false,
      error: new GoalError(
        printable,
        1,
        1,
        '',
        'the file path contains control characters, line separators or backticks',
        'rename the file',
      ),
    }
  }
  const match = FRONTMATTER.exec(source)
  const counter = new LineCounter()
  const located: Located = { doc: undefined, counter, firstLine: 2 }
  let frontmatter: Frontmatter = { keywords: [] }

  const fail = (fieldPath: PropertyKey[], problem: string, fix: string): ParseResult => {
    const { line, column } = positionOf(located, fieldPath)
    return { ok: false, error: new GoalError(displayFile, line, column, fieldPath.map(String).join('.'), problem, fix) }
  }

  if (match) {
    const doc = parseDocument(match[1] ?? '', { lineCounter: counter, prettyErrors: false })
    located.doc = doc
    const yamlError = doc.errors[0]
    if (yamlError) {
      const { line, column } = lineOf(located, yamlError.pos[0])
      return {
        ok: false,
        error: new GoalError(
          displayFile,
          line,
          column,
          '',
          `the YAML frontmatter does not parse: ${yamlError.message.split('\n')[0]}`,
          'check indentation and quoting',
        ),
      }
    }
    const raw: unknown = doc.toJS() ?? {}
    const parsed = FrontmatterSchema.safeParse(raw)
    if (!parsed.success) {
      const issue = mostSpecific(parsed.error.issues[0] as z.core.$ZodIssue)
      const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] as string] : issue.path
      return fail(keys, issue.message, fixFor(issue))
    }
    frontmatter = parsed.data
  }

  const bodyStart = match ? match[0].length : 0
  const bodyFirstLine = source.slice(0, bodyStart).split('\n').length
  const body = source.slice(bodyStart)
  const { sections, heading } = sectionsOf(body)
  const { id: derivedId, folderTier } = defaultId(file)

  const tier = frontmatter.tier ?? (TIERS as readonly string[]).find((t) => t === folderTier)
  if (!tier) {
    return fail(
      ['tier'],
      'the goal has no tier and its folder does not name one',
      `add "tier: tutorial | abstract | research" to the frontmatter, or put the file under benchmarks/<tier>/`,
    )
  }
  if (tier === 'research' && !frontmatter.source) {
    return fail(['source'], 'research goals must cite their source', 'add "source:" with a citation or DOI')
  }

  const lineAt = (fieldPath: PropertyKey[], fallback: number): number =>
    located.doc?.getIn(fieldPath as unknown[], true) !== undefined ? positionOf(located, fieldPath).line : fallback
  const titleLine = heading ? bodyFirstLine + heading.line : lineAt(['title'], 1)
  // no checks block: it ran, and the judge's score; a block without `executes` still checks it ran
  const block: ChecksBlock = frontmatter.checks ?? { executes: true, judge_score: DEFAULT_JUDGE_SCORE }
  const checksLine = lineAt(['checks'], titleLine)
  const checks = instantiateChecks({ executes: true, ...block }, (key, index) =>
    lineAt(index === undefined ? ['checks', key] : ['checks', key, index], checksLine),
  )

  const goal: Goal = {
    id: frontmatter.id ?? derivedId,
    title: frontmatter.title ?? heading?.text ?? derivedId,
    tier: tier as Tier,
    ...(frontmatter.source ? { source: frontmatter.source } : {}),
    keywords: frontmatter.keywords,
    timeoutSeconds: frontmatter.timeout ?? DEFAULT_TIMEOUT_SECONDS,
    checks,
    body: body.trim(),
    sections,
    file: displayFile,
    hash: createHash('sha256').update(source).digest('hex').slice(0, 16),
    titleLine,
  }
  return { ok: true, goal }
}
