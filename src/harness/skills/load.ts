import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseDocument } from 'yaml'
import { z } from 'zod'

const SkillFrontmatterSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'skill names are lower-case letters, digits, "_" and "-"'),
    description: z.string().min(10),
    keywords: z.array(z.string().min(1)).default([]),
    role: z.enum(['driver', 'navigator']),
    version: z.union([z.string(), z.number()]).transform(String),
  })
  .strict()

export interface Skill {
  name: string
  description: string
  keywords: string[]
  role: 'driver' | 'navigator'
  version: string
  body: string
  file: string
  bytes: number
}

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/

export class SkillError extends Error {
  override name = 'SkillError'
}

export function parseSkill(text: string, file: string): Skill {
  const match = FRONTMATTER.exec(text)
  if (!match) throw new SkillError(`${file}: no YAML frontmatter (--- name, description, keywords, role, version ---)`)
  const doc = parseDocument(match[1] ?? '')
  if (doc.errors[0]) throw new SkillError(`${file}: frontmatter YAML error: ${doc.errors[0].message}`)
  const parsed = SkillFrontmatterSchema.safeParse(doc.toJS())
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new SkillError(`${file}: ${issue.path.join('.') || 'frontmatter'}: ${issue.message}`)
  }
  const body = text.slice(match[0].length).trim()
  return { ...parsed.data, body, file, bytes: Buffer.byteLength(body) }
}

/** Every skills/<role>/<name>/SKILL.md, in a deterministic order (role, then name). */
export function loadSkills(dir: string): Skill[] {
  const skills: Skill[] = []
  const walk = (at: string): void => {
    for (const entry of readdirSync(at).sort()) {
      const full = path.join(at, entry)
      if (statSync(full).isDirectory()) walk(full)
      else if (entry === 'SKILL.md') skills.push(parseSkill(readFileSync(full, 'utf8'), full))
    }
  }
  try {
    walk(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  return skills.sort((a, b) => a.role.localeCompare(b.role) || a.name.localeCompare(b.name))
}
