import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import type { z } from 'zod'
import { hasField, positionAt, positionOf, splitFrontmatter, type Frontmatter } from '../util/frontmatter.ts'
import { decodeText } from '../util/text.ts'
import {
  BODY_GUIDELINE,
  DEFAULT_SKILL_MAX_BYTES,
  OWN_FIELDS,
  OwnFieldsSchema,
  SKILL_NAME,
  SKILL_ROLES,
  SkillFrontmatterSchema,
  SPEC_FIELDS,
  type SkillRole,
} from './schema.ts'

/**
 * Skills as the Agent Skills format has them: a folder whose SKILL.md has `name` (= the folder's
 * name) and `description`, a Markdown body, and optional `references/`, `scripts/`, `assets/` that
 * on-demand delivery hands out when asked. Loading never stops at the first problem: every problem
 * of every skill is returned, located (file, line, field) with its fix, so a run can refuse to start
 * listing them all — before any model call.
 */

export interface SkillResource {
  /** Relative to the skill folder, with "/" separators (e.g. "references/units.md"). */
  path: string
  bytes: number
}

export interface Skill {
  name: string
  description: string
  keywords: string[]
  /** driver (default) or navigator: navigator skills reach only the navigator's prompt. */
  role: SkillRole
  version?: string
  /** Offered to every goal whenever a condition offers skills. */
  always: boolean
  body: string
  /** The SKILL.md. */
  file: string
  /** The skill's folder. */
  dir: string
  /** Size of the body in bytes. */
  bytes: number
  /** Files beside SKILL.md (references/, scripts/, assets/), read on demand. */
  resources: SkillResource[]
}

export interface SkillProblem {
  severity: 'error' | 'warning'
  file: string
  line: number
  column: number
  field: string
  problem: string
  fix: string
  /** The skill's folder name (its name, when valid). */
  skill: string
}

export const formatSkillProblem = (p: SkillProblem): string =>
  `${p.file}:${p.line}:${p.column}: ${p.severity === 'warning' ? 'warning: ' : ''}` +
  `${p.field ? `${p.field}: ` : ''}${p.problem}${p.fix ? `\n  fix: ${p.fix}` : ''}`

export interface SkillSet {
  skills: Skill[]
  /** Every problem found, errors and warnings, in file order. */
  problems: SkillProblem[]
  /** Skills left out because of errors: their folder name and SKILL.md. */
  invalid: { name: string; file: string }[]
}

interface SkillOptions {
  /** Refuse SKILL.md files (and resources) larger than this. */
  maxBytes?: number
  /** The role the skill's folders imply (a driver/ or navigator/ folder on its path). */
  folderRole?: SkillRole
  /** How to show the file in messages (default: relative to the working directory). */
  display?: string
}

const RESOURCE_LIMIT = 200

/** Parse one SKILL.md (bytes or text). `file` is its path: its folder's name must be the skill's name. */
export function parseSkill(
  input: string | Uint8Array,
  file: string,
  options: SkillOptions = {},
): { skill?: Skill; problems: SkillProblem[] } {
  const display = options.display ?? (path.relative(process.cwd(), file) || file)
  const folder = path.basename(path.dirname(path.resolve(file)))
  const problems: SkillProblem[] = []
  const report = (
    severity: SkillProblem['severity'],
    at: { line: number; column: number },
    field: string,
    problem: string,
    fix: string,
  ) => problems.push({ severity, file: display, ...at, field, problem, fix, skill: folder })
  const start = { line: 1, column: 1 }
  const maxBytes = options.maxBytes ?? DEFAULT_SKILL_MAX_BYTES

  const decoded = decodeText(input, maxBytes, 'the SKILL.md')
  if (!decoded.ok) {
    const fix = decoded.problem.includes('limit')
      ? 'keep SKILL.md short (the format suggests under 500 lines) and move detail into references/ files'
      : decoded.fix
    report('error', start, '', decoded.problem, fix)
    return { problems }
  }
  const located = splitFrontmatter(decoded.text)
  if (!located.doc) {
    report(
      'error',
      start,
      '',
      located.unclosed ? 'the frontmatter is never closed' : 'no YAML frontmatter',
      'start the file with "---", a "name:" line, a "description:" line, and "---"',
    )
    return { problems }
  }
  const { doc } = located
  for (const yamlError of doc.errors) {
    report(
      'error',
      positionAt(located, yamlError.pos[0]),
      '',
      `the frontmatter YAML does not parse: ${yamlError.message.split('\n')[0]}`,
      'quote a value that contains ": " or "#" (description: "…"), or write it as an indented block after ">-"',
    )
  }
  if (doc.errors.length) return { problems }

  const raw: unknown = doc.toJS() ?? {}
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    report('error', start, '', 'the frontmatter is not a map of fields', 'write "name: …" and "description: …" lines')
    return { problems }
  }
  const parsed = SkillFrontmatterSchema.safeParse(raw)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join('.')
      report('error', positionOf(located, issue.path), field, issue.message, fixFor(field, folder))
    }
  }
  const fields = raw as Record<string, unknown>
  for (const key of Object.keys(fields)) {
    if (SPEC_FIELDS.includes(key) || OWN_FIELDS.includes(key)) continue
    report(
      'warning',
      positionOf(located, [key]),
      key,
      'not a field of the Agent Skills format or of skilldelta; it is ignored',
      `move it under "metadata:", or remove it (known: ${[...SPEC_FIELDS, ...OWN_FIELDS].join(', ')})`,
    )
  }
  const own = ownFields(fields, located, report)
  if (typeof fields.name === 'string' && SKILL_NAME.test(fields.name) && fields.name !== folder) {
    report(
      'error',
      positionOf(located, ['name']),
      'name',
      `name "${fields.name}" differs from its folder "${folder}"`,
      `rename the folder to "${fields.name}", or set "name: ${folder}"`,
    )
  }

  const body = located.body.trim()
  const bodyAt = { line: located.bodyFirstLine, column: 1 }
  if (!body) report('warning', bodyAt, 'body', 'the body is empty: the skill offers only its description', '')
  const lines = body.split('\n').length
  const words = body.split(/\s+/).filter(Boolean).length
  if (lines > BODY_GUIDELINE.lines || words > BODY_GUIDELINE.words) {
    report(
      'warning',
      bodyAt,
      'body',
      `the body has ${lines} lines and ${words} words, over the format's guideline ` +
        `(${BODY_GUIDELINE.lines} lines, ${BODY_GUIDELINE.words} words); long payloads can hurt`,
      'keep the essentials here and move detail into references/ files',
    )
  }
  if (problems.some((p) => p.severity === 'error') || !parsed.success) return { problems }

  const data = parsed.data
  const skill: Skill = {
    name: data.name,
    description: data.description,
    keywords: own.keywords ?? [],
    role: own.role ?? options.folderRole ?? 'driver',
    ...(own.version !== undefined ? { version: own.version } : {}),
    always: own.always ?? false,
    body,
    file,
    dir: path.dirname(file),
    bytes: Buffer.byteLength(body),
    resources: [],
  }
  return { skill, problems }
}

/** skilldelta's fields: top-level wins over metadata; a disagreement is a warning. */
function ownFields(
  fields: Record<string, unknown>,
  located: Frontmatter,
  report: (
    severity: SkillProblem['severity'],
    at: { line: number; column: number },
    field: string,
    problem: string,
    fix: string,
  ) => void,
): z.infer<typeof OwnFieldsSchema> {
  const top = OwnFieldsSchema.safeParse(fields)
  const metadata = fields.metadata
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return top.data ?? {}
  const nested = Object.fromEntries(Object.entries(metadata).filter(([key]) => OWN_FIELDS.includes(key)))
  const under = OwnFieldsSchema.safeParse(nested)
  if (!under.success) {
    for (const issue of under.error.issues) {
      const fieldPath = ['metadata', ...issue.path]
      report('error', positionOf(located, fieldPath), fieldPath.map(String).join('.'), issue.message, '')
    }
    return top.data ?? {}
  }
  const merged = { ...under.data, ...top.data }
  for (const key of OWN_FIELDS) {
    if (!hasField(located, [key]) || !hasField(located, ['metadata', key])) continue
    if (JSON.stringify((under.data as Record<string, unknown>)[key]) === JSON.stringify(merged[key as 'role'])) {
      continue
    }
    report('warning', positionOf(located, ['metadata', key]), `metadata.${key}`, `differs from top-level ${key}`, '')
  }
  return merged
}

function fixFor(field: string, folder: string): string {
  switch (field) {
    case 'name':
      return `set "name: ${SKILL_NAME_FIX(folder)}" (the folder's name)`
    case 'description':
      return 'one or two sentences, at most 1024 characters: what the skill does AND when to use it'
    case 'role':
      return `use one of: ${SKILL_ROLES.join(', ')} (or leave it out: driver)`
    case 'compatibility':
      return 'at most 500 characters on what the skill needs from its environment'
    default:
      return 'see the Agent Skills format (README: "Skills")'
  }
}

const SKILL_NAME_FIX = (folder: string): string =>
  folder
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'my-skill'

/** The files beside SKILL.md (never through symlinks, never hidden ones), as on-demand reads can hand out. */
function resourcesOf(dir: string, report: (relative: string, problem: string) => void): SkillResource[] {
  const found: SkillResource[] = []
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue
      const full = path.join(at, entry.name)
      const relative = path.relative(dir, full).split(path.sep).join('/')
      if (entry.isSymbolicLink()) report(relative, 'is a symbolic link; it is not offered')
      else if (entry.isDirectory()) walk(full)
      else if (entry.isFile() && relative !== 'SKILL.md' && found.length < RESOURCE_LIMIT) {
        found.push({ path: relative, bytes: statSync(full).size })
      }
    }
  }
  walk(dir)
  return found
}

/** Every SKILL.md under `dir`, at any depth (not inside another skill's folder), in a deterministic order. */
export function loadSkills(dir: string, options: Pick<SkillOptions, 'maxBytes'> = {}): SkillSet {
  const set: SkillSet = { skills: [], problems: [], invalid: [] }
  const root = path.resolve(dir)
  const visit = (at: string, folderRole: SkillRole | undefined) => {
    let entries
    try {
      entries = readdirSync(at, { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && at === root) return
      throw error
    }
    const skillFile = entries.find((e) => e.name === 'SKILL.md' && e.isFile())
    if (skillFile) return void loadOne(path.join(at, 'SKILL.md'), folderRole)
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'node_modules') continue
      const named = (SKILL_ROLES as readonly string[]).includes(entry.name) ? (entry.name as SkillRole) : folderRole
      visit(path.join(at, entry.name), named)
    }
  }
  const loadOne = (file: string, folderRole: SkillRole | undefined) => {
    const display = path.relative(process.cwd(), file) || file
    const maxBytes = options.maxBytes ?? DEFAULT_SKILL_MAX_BYTES
    const size = statSync(file).size
    if (size > maxBytes) {
      // refused without reading it
      set.problems.push({
        severity: 'error',
        file: display,
        line: 1,
        column: 1,
        field: '',
        problem: `the SKILL.md is ${Math.ceil(size / 1024)} KB, over the ${Math.ceil(maxBytes / 1024)} KB limit`,
        fix: 'keep SKILL.md short (the format suggests under 500 lines) and move detail into references/ files',
        skill: path.basename(path.dirname(file)),
      })
      return void set.invalid.push({ name: path.basename(path.dirname(file)), file: display })
    }
    const { skill, problems } = parseSkill(readFileSync(file), file, {
      maxBytes,
      ...(folderRole ? { folderRole } : {}),
      display,
    })
    set.problems.push(...problems)
    if (!skill) return void set.invalid.push({ name: path.basename(path.dirname(file)), file: display })
    skill.resources = resourcesOf(skill.dir, (relative, problem) =>
      set.problems.push({
        severity: 'warning',
        file: path.join(path.relative(process.cwd(), skill.dir) || skill.dir, relative),
        line: 1,
        column: 1,
        field: '',
        problem,
        fix: 'copy the file into the skill folder',
        skill: skill.name,
      }),
    )
    set.skills.push(skill)
  }
  visit(root, undefined)

  // one name, one skill: a second copy would shadow the first
  const byName = new Map<string, Skill[]>()
  for (const skill of set.skills) byName.set(skill.name, [...(byName.get(skill.name) ?? []), skill])
  for (const [name, same] of byName) {
    if (same.length < 2) continue
    for (const skill of same) {
      const display = path.relative(process.cwd(), skill.file) || skill.file
      set.problems.push({
        severity: 'error',
        file: display,
        line: 1,
        column: 1,
        field: 'name',
        problem: `two skills are named "${name}": ${same.map((s) => path.relative(process.cwd(), s.file)).join(', ')}`,
        fix: 'rename one of the folders (and its name:)',
        skill: name,
      })
      set.invalid.push({ name, file: display })
    }
    set.skills = set.skills.filter((s) => s.name !== name)
  }
  set.skills.sort((a, b) => a.role.localeCompare(b.role) || a.name.localeCompare(b.name))
  return set
}

/**
 * Read a file a skill offers (on-demand delivery): only a listed resource, a regular file that
 * really lies inside the skill's folder, within the size cap, as text.
 */
export function readSkillResource(
  skill: Pick<Skill, 'dir' | 'resources' | 'name'>,
  relative: string,
  maxBytes = DEFAULT_SKILL_MAX_BYTES,
): { ok: true; text: string } | { ok: false; error: string } {
  const listed = skill.resources.find((r) => r.path === relative)
  if (!listed) {
    const names = skill.resources.map((r) => r.path)
    return {
      ok: false,
      error: `skill "${skill.name}" has no file "${relative}"${names.length ? `; it has: ${names.join(', ')}` : ''}`,
    }
  }
  try {
    const full = path.join(skill.dir, ...relative.split('/'))
    const real = realpathSync(full)
    const inside = path.relative(realpathSync(skill.dir), real)
    if (inside.startsWith('..') || path.isAbsolute(inside) || !lstatSync(full).isFile()) {
      return { ok: false, error: `"${relative}" is not a file inside skill "${skill.name}"` }
    }
    const decoded = decodeText(readFileSync(real), maxBytes, `"${relative}"`)
    return decoded.ok ? { ok: true, text: decoded.text } : { ok: false, error: decoded.problem }
  } catch (error) {
    return { ok: false, error: `cannot read "${relative}": ${(error as NodeJS.ErrnoException).code ?? 'error'}` }
  }
}
