import { z } from 'zod'

/** Where a goal's checks find their signal among the series the probe saved. */
export const SignalSelectorSchema = z.union([
  z.literal('auto'),
  z
    .object({
      source: z.string().min(1).optional().describe('variable name in the notebook, e.g. "stochastic" or "result[0]"'),
      monitor: z.string().min(1).optional().describe('TVB monitor class, e.g. "TemporalAverage" or "Bold"'),
    })
    .strict()
    .refine((s) => s.source !== undefined || s.monitor !== undefined, {
      message: 'give `source` (a variable name) or `monitor` (a monitor class), or use "auto"',
    }),
])
export type SignalSelector = z.infer<typeof SignalSelectorSchema>

const band = z
  .tuple([z.number().positive(), z.number().positive()])
  .refine(([lo, hi]) => lo < hi, { message: 'band must be [low, high] in Hz with low < high' })

export const PsdPeakCheckSchema = z
  .object({
    band,
    signal: SignalSelectorSchema.default('auto'),
    variable_index: z.number().int().min(0).default(0),
    transient_ms: z.number().min(0).optional(),
    min_band_fraction: z.number().min(0).max(1).default(0),
    min_std: z.number().min(0).default(1e-6),
    min_decay_ratio: z.number().min(0).max(1).default(0.5),
  })
  .strict()
export type PsdPeakCheck = z.infer<typeof PsdPeakCheckSchema>

export const SignalCheckSchema = z
  .object({
    signal: SignalSelectorSchema.default('auto'),
    min_samples: z.number().int().min(1).optional(),
    regions: z.number().int().min(1).optional(),
    period_ms: z.number().positive().optional(),
  })
  .strict()
export type SignalCheck = z.infer<typeof SignalCheckSchema>

export const JUDGE_DIMENSIONS = ['correctness', 'code_quality', 'scientific_validity', 'token_efficiency'] as const
const judgeScore = z.number().min(1).max(5)
export const JudgeScoreCheckSchema = z.union([
  judgeScore,
  z.partialRecord(z.enum(JUDGE_DIMENSIONS), judgeScore).refine((r) => Object.keys(r).length > 0, {
    message: 'name at least one dimension, or give one number for the mean score',
  }),
])
export type JudgeScoreCheck = z.infer<typeof JudgeScoreCheckSchema>

const oneOrMany = <T extends z.ZodType>(schema: T) =>
  z.union([schema, z.array(schema).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[])

export const ChecksSchema = z
  .object({
    executes: z.boolean().default(true),
    psd_peak: oneOrMany(PsdPeakCheckSchema).optional(),
    signal: oneOrMany(SignalCheckSchema).optional(),
    judge_score: JudgeScoreCheckSchema.optional(),
  })
  .strict()
export type Checks = z.infer<typeof ChecksSchema>

export const TIERS = ['tutorial', 'abstract', 'research'] as const
export type Tier = (typeof TIERS)[number]

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

export const DEFAULT_TIMEOUT_SECONDS = 600
export const DEFAULT_JUDGE_SCORE = 3

/** The YAML frontmatter of a GOAL.md, as written (every field optional but `checks` keys strict). */
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

/** A fully resolved goal: what the compiler embeds in the test module and trials consume. */
export const GoalSchema = z.object({
  id: z.string(),
  title: z.string(),
  tier: z.enum(TIERS),
  source: z.string().optional(),
  keywords: z.array(z.string()),
  timeoutSeconds: z.number().positive(),
  checks: ChecksSchema,
  body: z.string(),
  sections: z.record(z.string(), z.string()),
  file: z.string(),
  hash: z.string(),
  /** 1-based GOAL.md lines that compiled tests map back to. */
  lines: z.object({
    title: z.number().int(),
    executes: z.number().int(),
    psd_peak: z.array(z.number().int()),
    signal: z.array(z.number().int()),
    judge_score: z.number().int(),
  }),
})
export type Goal = z.infer<typeof GoalSchema>
