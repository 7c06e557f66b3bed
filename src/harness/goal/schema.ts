import { z } from 'zod'
import { ChecksSchema } from '../checks/registry.ts'
import { TIERS, type Tier } from '../config/tiers.ts'

export { TIERS, type Tier }

/** A goal's tier once parsed: one of TIERS, or `untiered` when neither its frontmatter nor its folders name one. */
export const GOAL_TIERS = [...TIERS, 'untiered'] as const
export type GoalTier = (typeof GOAL_TIERS)[number]

const duration = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(s|m|h)$/, 'write a duration like "90s", "10m" or a number of seconds')
    .transform((text) => {
      const value = Number.parseFloat(text)
      const unit = text.trim().slice(-1)
      return value * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1)
    }),
])

/** The YAML frontmatter of a GOAL.md, as written (every field optional, `checks` keys strict). */
export const FrontmatterSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_\-/]*$/, 'ids are lower-case letters, digits, "_", "-" and "/"')
      .optional(),
    title: z.string().min(1).optional(),
    tier: z.enum(TIERS).optional(),
    source: z.string().min(1).optional(),
    keywords: z.array(z.string().min(1)).default([]),
    timeout: duration.optional(),
    checks: ChecksSchema.optional(),
  })
  .strict()
export type Frontmatter = z.infer<typeof FrontmatterSchema>

const CheckInstanceSchema = z.object({
  id: z.string(),
  kind: z.string(),
  params: z.unknown(),
  line: z.number().int(),
  name: z.string(),
})

/** A fully resolved goal: what the compiler embeds in the test module and trials consume. */
export const GoalSchema = z.object({
  id: z.string(),
  title: z.string(),
  tier: z.enum(GOAL_TIERS),
  source: z.string().optional(),
  keywords: z.array(z.string()),
  timeoutSeconds: z.number().positive(),
  /** One entry per test, in the order they run (see checks/registry.ts). */
  checks: z.array(CheckInstanceSchema),
  body: z.string(),
  sections: z.record(z.string(), z.string()),
  file: z.string(),
  hash: z.string(),
  /** 1-based GOAL.md line of the title, where the describe blocks map back to. */
  titleLine: z.number().int(),
})
export type Goal = z.infer<typeof GoalSchema>
