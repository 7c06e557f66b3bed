import { z } from 'zod'

/**
 * SKILL.md frontmatter in the Agent Skills format (https://agentskills.io/specification): `name`
 * and `description` are required, `license`, `compatibility`, `metadata` and `allowed-tools`
 * optional. skilldelta's own fields (`keywords`, `role`, `version`, `always`) are optional and may
 * sit top-level or under `metadata`. Unknown fields are warnings: published skills carry extras.
 */

export const SKILL_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
export const SKILL_ROLES = ['driver', 'navigator'] as const
export type SkillRole = (typeof SKILL_ROLES)[number]

const name = z
  .string({ error: 'name is required: the skill folder name, lower-case letters, digits and hyphens' })
  .min(1, 'name is empty')
  .max(64, 'name is longer than 64 characters')
  .regex(SKILL_NAME, 'name must be lower-case letters, digits and single hyphens, not starting or ending with one')

const description = z
  .string({ error: 'description is required: what the skill does and when to use it' })
  .trim()
  .min(1, 'description is empty')
  .max(1024, 'description is longer than 1024 characters')

/** A list, or a comma-separated string (metadata values are strings in the format). */
const keywords = z
  .union([z.array(z.string().trim().min(1)), z.string()])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(',')).map((k) => k.trim()).filter((k) => k.length > 0),
  )

const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])

/** skilldelta's own fields, valid top-level and under metadata. */
export const OwnFieldsSchema = z.object({
  keywords: keywords.optional(),
  role: z.enum(SKILL_ROLES, { error: 'role must be driver or navigator' }).optional(),
  version: z.union([z.string(), z.number()]).transform(String).optional(),
  always: flag.optional(),
})
export const OWN_FIELDS = Object.keys(OwnFieldsSchema.shape)

export const SkillFrontmatterSchema = z.object({
  name,
  description,
  license: z.string().min(1).optional(),
  compatibility: z.string().min(1).max(500, 'compatibility is longer than 500 characters').optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  'allowed-tools': z.union([z.string(), z.array(z.string())]).optional(),
  ...OwnFieldsSchema.shape,
})
export const SPEC_FIELDS = ['name', 'description', 'license', 'compatibility', 'metadata', 'allowed-tools']

/** The Agent Skills guideline for a SKILL.md body: beyond this, split it into references/. */
export const BODY_GUIDELINE = { lines: 500, words: 5000 }
/** Default hard cap on a SKILL.md (and on each file a skill can hand out): larger files are refused. */
export const DEFAULT_SKILL_MAX_BYTES = 64 * 1024
