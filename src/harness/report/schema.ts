import { z } from 'zod'
import type { PairedDelta } from './stats.ts'

/**
 * ablation.json: everything the reporter prints, the chart draws and the PR comment shows, as data.
 * The tables and the chart are made from this file alone (`readAblationReport`), so a report can be
 * re-rendered, diffed and merged without the records. JSON has no infinity: an unbounded interval end
 * (fewer than 5 goals) or MDE (fewer than 2) is written as null and read back as ±Infinity.
 */

export const ABLATION_SCHEMA = 'skilldelta.ablation/2'

const unbounded = (fill: number) =>
  z
    .number()
    .nullable()
    .transform((v) => v ?? fill)
const Interval = z.tuple([unbounded(-Infinity), unbounded(Infinity)])
const count = z.number().int().nonnegative()

const PairedDeltaSchema = z.object({
  delta: z.number(),
  ci: Interval,
  method: z.enum(['bootstrap-t', 'none (fewer than 5 goals)']),
  p: z.number(),
  test: z.enum(['exact', 'monte carlo']),
  n: count,
  unpaired: count,
  samples: z.number(),
  sdDiff: z.number(),
  variance: z.object({ goal: z.number().optional(), sample: z.number().optional(), icc: z.number().optional() }),
  mde: unbounded(Infinity),
  meanWith: z.number(),
  meanWithout: z.number(),
})

const AblationRowSchema = z.object({
  model: z.string(),
  params: z.number().nullable(),
  condition: z.string(),
  /** Real skills were offered in this condition (a placebo is not). */
  skills: z.boolean(),
  goals: count,
  trials: count,
  infra: count,
  /** Share of trials (infra excluded) that produced a notebook the harness executed. */
  successRate: z.number().optional(),
  /** Share of trials (infra excluded) whose notebook ran every cell without error. */
  executedRate: z.number().optional(),
  meanSuccesses: z.number().optional(),
  meanFailuresZero: z.number().optional(),
  /** 95 % interval of the mean (failures as 0) over goals: the size chart's error bars. */
  meanCi: Interval.optional(),
  /** Δ vs the baseline condition, failures counted as 0 (the headline convention). */
  delta: PairedDeltaSchema.optional(),
  /** Δ vs the baseline condition, over successful trials only. */
  deltaSuccesses: PairedDeltaSchema.optional(),
  /** Normalised gain (with − without) / (max − without), failures as 0, over the paired goals. */
  gain: z.number().optional(),
  /** The sign-flip p of Δ = 0, Holm-adjusted over this table's rows with a Δ (the family). */
  pHolm: z.number().optional(),
})

export const VERDICTS = ['beats', 'reaches', 'undecided', 'falls short'] as const

const HeadlineRowSchema = z.object({
  model: z.string(),
  params: z.number().nullable(),
  condition: z.string(),
  reference: z.string(),
  referenceParams: z.number().nullable(),
  /** (small model, condition) − (reference, baseline), paired by goal, failures as 0. */
  delta: PairedDeltaSchema,
  /** The small model's normalised gain from this condition (its own row vs its baseline). */
  gain: z.number().optional(),
  verdict: z.enum(VERDICTS),
  /** One-sided sign-flip p of H0 Δ ≤ −δ (non-inferiority), raw and Holm-adjusted over the table. */
  pNonInferiority: z.number(),
  pHolm: z.number(),
})

const HeadlineSchema = z.object({
  references: z.array(z.string()),
  chosenBy: z.enum(['option', 'largest by params']),
  baseline: z.string(),
  /** δ as a fraction of the scale, and in score units. */
  marginFraction: z.number(),
  margin: z.number(),
  scale: z.tuple([z.number(), z.number()]),
  rows: z.array(HeadlineRowSchema),
  notes: z.array(z.string()),
})

const AblationSchema = z.object({
  metric: z.string(),
  baseline: z.string(),
  scale: z.tuple([z.number(), z.number()]),
  rows: z.array(AblationRowSchema),
  headline: HeadlineSchema.optional(),
})

const GridSchema = z.object({
  metric: z.string(),
  columns: z.array(z.object({ model: z.string(), condition: z.string(), skills: z.boolean() })),
  goals: z.array(
    z.object({
      goal: z.string(),
      /** Aligned with columns: the cell's mean (failures as 0) and its trials by status; null: no trial. */
      cells: z.array(z.object({ score: z.number().optional(), statuses: z.record(z.string(), count) }).nullable()),
      /** Δ of each skills condition vs the same model's baseline on this goal ("model · condition"). */
      effects: z.record(z.string(), z.number()),
    }),
  ),
})

const TelemetryRowSchema = z.object({
  model: z.string(),
  condition: z.string(),
  /** Trials offered skills on demand (infrastructure failures excluded). */
  trials: count,
  /** Mean skills offered per trial. */
  offered: z.number(),
  /** Trials that read at least one offered skill, and those that read none ("silent bypass"). */
  read: count,
  bypass: count,
  /** Per skill: how many trials were offered it, and how many read it. */
  skills: z.record(z.string(), z.object({ offered: count, read: count })),
  /** Δ vs the baseline among the trials that read skills / that read none (paired by goal). */
  deltaRead: PairedDeltaSchema.optional(),
  deltaBypass: PairedDeltaSchema.optional(),
})

const TelemetrySchema = z.object({
  baseline: z.string(),
  rows: z.array(TelemetryRowSchema),
  /** Conditions whose skills were in the prompt: whether they were used cannot be observed. */
  inline: z.array(z.object({ model: z.string(), condition: z.string(), trials: count })),
})

export const AblationReportSchema = AblationSchema.extend({
  schema: z.literal(ABLATION_SCHEMA),
  judge: AblationSchema.optional(),
  /** One ablation per judge dimension. */
  dimensions: z.record(z.string(), AblationSchema).optional(),
  /** Trials whose judgement failed (judge_error): reported apart, never scored. */
  judgeErrors: count,
  /** Trials that started and never finished (an interrupted run): listed, never scored. */
  unfinished: z.array(z.object({ model: z.string(), condition: z.string(), goal: z.string(), sample: z.number() })),
  grid: GridSchema,
  telemetry: TelemetrySchema,
})

export type AblationRow = z.output<typeof AblationRowSchema>
export type HeadlineRow = z.output<typeof HeadlineRowSchema>
export type Headline = z.output<typeof HeadlineSchema>
export type Verdict = HeadlineRow['verdict']
export type Ablation = z.output<typeof AblationSchema>
export type Grid = z.output<typeof GridSchema>
export type Telemetry = z.output<typeof TelemetrySchema>
export type TelemetryRow = z.output<typeof TelemetryRowSchema>
export type AblationReport = z.output<typeof AblationReportSchema>

// the estimators' result fits its JSON form (checked at compile time)
const _deltaFits = (delta: PairedDelta): z.output<typeof PairedDeltaSchema> => delta
void _deltaFits

/** ablation.json, validated; unbounded interval ends come back as ±Infinity. */
export function readAblationReport(json: unknown): AblationReport {
  const parsed = AblationReportSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`ablation.json: ${issue.path.join('.')}: ${issue.message}`)
  }
  return parsed.data
}
