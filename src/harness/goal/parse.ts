import { createHash } from 'node:crypto'
import path from 'node:path'
import type { z } from 'zod'
import { DEFAULT_JUDGE_SCORE } from '../checks/judge-score.ts'
import { CHECK_KEYS, checkKind, instantiateChecks, type ChecksBlock } from '../checks/registry.ts'
import { hasField, positionAt, positionOf, splitFrontmatter } from '../util/frontmatter.ts'
import { decodeText } from '../util/text.ts'
import { readBody, targetHints, type TargetHint } from './body.ts'
import { FrontmatterSchema, type Frontmatter, type Goal, type Tier } from './schema.ts'
import { DEFAULT_TIMEOUTS, inferTier } from './tiers.ts'

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

/** Something worth knowing that does not stop the goal from running (it has no tier, no heading, …). */
export interface GoalWarning {
  line: number
  message: string
}

/** Where each derived field came from: `skilldelta goals` prints these as the reason for each default. */
export interface GoalOrigins {
  id: string
  title: string
  tier: string
  source: string
  timeout: string
  checks: string
}

export type ParseResult =
  | { ok: true; goal: Goal; warnings: GoalWarning[]; origins: GoalOrigins; hints: TargetHint[] }
  | { ok: false; error: GoalError; errors: GoalError[] }

export interface GoalOptions {
  /** Folder name → tier, over the built-in aliases (the `tiers` option). */
  tiers?: Readonly<Record<string, Tier>>
  /** The project root: goals outside a benchmarks/ folder take their id from the path below it. */
  root?: string
  /** Larger files are refused (default MAX_GOAL_BYTES). */
  maxBytes?: number
}

/** A goal is a page of Markdown; a file far larger than that is a mistake (a data file, a log). */
export const MAX_GOAL_BYTES = 256 * 1024

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

/** Control characters and line separators have no business in a benchmark path (they enable injection). */
const UNSAFE_PATH = /[\p{Cc}\u2028\u2029`]/u

/** The goal's default id and the folders that may name its tier. */
function locate(file: string, root: string): { id: string; folders: string[] } {
  const absolute = path.resolve(file)
  const parts = absolute.split(path.sep)
  const benchmarks = parts.lastIndexOf('benchmarks')
  let relative: string[]
  if (benchmarks >= 0 && benchmarks < parts.length - 1) relative = parts.slice(benchmarks + 1)
  else {
    const below = path.relative(root, absolute)
    relative = below && !below.startsWith('..') && !path.isAbsolute(below) ? below.split(path.sep) : parts.slice(-2)
  }
  const name = relative.join('/').replace(/(\.GOAL)?\.md$/i, '')
  return {
    id: name.toLowerCase().replace(/[^a-z0-9_\-/]+/g, '_'),
    folders: relative.slice(0, -1),
  }
}

/**
 * Parse a GOAL.md (bytes from disk, or text). Every problem found is returned, each at its line with
 * the field and the fix; warnings and the origin of every default come with a good goal.
 */
export function parseGoal(input: string | Uint8Array, file: string, options: GoalOptions = {}): ParseResult {
  const displayFile = path.relative(process.cwd(), file) || file
  const failAt = (line: number, column: number, field: string, problem: string, fix: string): ParseResult => {
    const error = new GoalError(displayFile, line, column, field, problem, fix)
    return { ok: false, error, errors: [error] }
  }
  if (UNSAFE_PATH.test(file)) {
    const error = new GoalError(
      JSON.stringify(displayFile),
      1,
      1,
      '',
      'the file path contains control characters, line separators or backticks',
      'rename the file',
    )
    return { ok: false, error, errors: [error] }
  }
  const decoded = decodeText(input, options.maxBytes ?? MAX_GOAL_BYTES)
  if (!decoded.ok) return failAt(1, 1, '', decoded.problem, decoded.fix)
  const text = decoded.text
  if (!text.trim()) {
    return failAt(1, 1, '', 'the file is empty', 'write the goal: a "# Goal: …" heading and the task in Markdown')
  }
  const located = splitFrontmatter(text)
  if (located.unclosed) {
    return failAt(1, 1, '', 'the frontmatter that starts here is never closed', 'end it with a line "---"')
  }
  let frontmatter: Frontmatter = { keywords: [] }
  const errors: GoalError[] = []
  const problem = (fieldPath: PropertyKey[], message: string, fix: string): void => {
    const { line, column } = positionOf(located, fieldPath)
    errors.push(new GoalError(displayFile, line, column, fieldPath.map(String).join('.'), message, fix))
  }

  const { doc, body, bodyFirstLine } = located
  if (doc) {
    for (const yamlError of doc.errors) {
      const { line, column } = positionAt(located, yamlError.pos[0])
      const message = `the YAML frontmatter does not parse: ${yamlError.message.split('\n')[0]}`
      errors.push(new GoalError(displayFile, line, column, '', message, 'check indentation and quoting'))
    }
    if (errors.length === 0) {
      const raw: unknown = doc.toJS() ?? {}
      const parsed = FrontmatterSchema.safeParse(raw)
      if (parsed.success) frontmatter = parsed.data
      else {
        const seen = new Set<string>()
        for (const raw of parsed.error.issues) {
          const issue = mostSpecific(raw as z.core.$ZodIssue)
          const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] as string] : issue.path
          const key = keys.map(String).join('.')
          if (seen.has(key)) continue
          seen.add(key)
          problem(keys, issue.message, fixFor(issue))
        }
      }
    }
  }

  if (!body.trim()) {
    errors.push(
      new GoalError(
        displayFile,
        bodyFirstLine,
        1,
        '',
        'the goal has frontmatter but no task: nothing follows the closing ---',
        'write the task in Markdown below the frontmatter (a "# Goal: …" heading, then what to do)',
      ),
    )
  }
  if (errors.length) return { ok: false, error: errors[0]!, errors }

  const { sections, heading, source: cited } = readBody(body)
  const { id: derivedId, folders } = locate(file, options.root ?? process.cwd())
  const warnings: GoalWarning[] = []
  const lineAt = (fieldPath: PropertyKey[], fallback: number): number =>
    hasField(located, fieldPath) ? positionOf(located, fieldPath).line : fallback
  const titleLine = heading ? bodyFirstLine + heading.line : lineAt(['title'], 1)

  const inferred = frontmatter.tier
    ? { tier: frontmatter.tier, reason: 'frontmatter' }
    : inferTier(folders, options.tiers)
  if (inferred.tier === 'untiered') {
    warnings.push({
      line: titleLine,
      message:
        'no tier: neither the frontmatter nor a folder on the path names one, so it runs as "untiered" ' +
        '(add "tier:" or put it under a tutorial/, abstract/ or research/ folder — or goals/, goals_abstract/, ' +
        'goals_research/)',
    })
  }
  const source = frontmatter.source ?? cited?.text
  if (inferred.tier === 'research' && !source) {
    const line = frontmatter.tier ? lineAt(['tier'], titleLine) : titleLine
    const error = new GoalError(
      displayFile,
      line,
      1,
      'source',
      'research goals must cite their source, and this one names none',
      'add a line "Source: <citation or DOI>" to the goal, or "source:" to the frontmatter',
    )
    return { ok: false, error, errors: [error] }
  }
  if (!heading && !frontmatter.title) {
    warnings.push({ line: bodyFirstLine, message: 'no "# " heading: the title is the file name' })
  }

  // no checks block: it ran, and the judge's score; a block without `executes` still checks it ran
  const block: ChecksBlock = frontmatter.checks ?? { executes: true, judge_score: DEFAULT_JUDGE_SCORE }
  const checksLine = lineAt(['checks'], titleLine)
  const checks = instantiateChecks({ executes: true, ...block }, (key, index) =>
    lineAt(index === undefined ? ['checks', key] : ['checks', key, index], checksLine),
  )
  const timeoutSeconds = frontmatter.timeout ?? DEFAULT_TIMEOUTS[inferred.tier]

  const origins: GoalOrigins = {
    id: frontmatter.id ? 'frontmatter' : 'path below benchmarks/ (or the project root)',
    title: frontmatter.title
      ? 'frontmatter'
      : heading
        ? `heading on line ${titleLine}${heading.prefix ? ` ("${heading.prefix}" dropped)` : ''}`
        : 'the file name (no heading)',
    tier: inferred.reason,
    source: frontmatter.source
      ? 'frontmatter'
      : cited
        ? `${cited.how === 'doi' ? 'a DOI' : cited.how === 'section' ? 'the references section' : 'a source line'} ` +
          `on line ${bodyFirstLine + cited.line}`
        : 'none',
    timeout: frontmatter.timeout ? 'frontmatter' : `default for ${inferred.tier} goals`,
    checks: frontmatter.checks ? 'frontmatter' : 'default: no checks: block',
  }
  const hints = block.psd_peak ? [] : targetHints(body).map((hint) => ({ ...hint, line: bodyFirstLine + hint.line }))

  const goal: Goal = {
    id: frontmatter.id ?? derivedId,
    title: frontmatter.title ?? heading?.text ?? derivedId,
    tier: inferred.tier,
    ...(source ? { source } : {}),
    keywords: frontmatter.keywords,
    timeoutSeconds,
    checks,
    body: body.trim(),
    sections,
    file: displayFile,
    hash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    titleLine,
  }
  return { ok: true, goal, warnings, origins, hints }
}
