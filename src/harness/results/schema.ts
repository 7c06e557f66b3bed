import { z } from 'zod'

/** judge_error: the notebook was produced (and executed) but no valid judgement could be had. */
const TRIAL_STATUSES = [
  'pending',
  'ok',
  'generation_failed',
  'execution_failed',
  'infra_error',
  'judge_error',
] as const
export type TrialStatus = (typeof TRIAL_STATUSES)[number]

/**
 * Where a trial is in its life. A line of records.jsonl whose stage is not `finished` is a trial
 * that started but never ended (the run was killed): reports count it as unfinished.
 */
const TRIAL_STAGES = ['planned', 'generated', 'executed', 'checked', 'judged', 'finished'] as const
export type TrialStage = (typeof TRIAL_STAGES)[number]

const CheckOutcomeSchema = z.object({
  /** The check kind (registry key); absent in records written before kinds were recorded. */
  kind: z.string().optional(),
  /** Objective checks make the objective score; the judge's does not. */
  objective: z.boolean().optional(),
  status: z.enum(['pass', 'fail', 'skip']),
  message: z.string().optional(),
  measured: z.record(z.string(), z.unknown()).optional(),
  /** The verdict came from the cache: the same artifacts, the same check definition (see trial/verdicts.ts). */
  reused: z.literal(true).optional(),
  at: z.string(),
})
export type CheckOutcome = z.infer<typeof CheckOutcomeSchema>

/** One cell of the matrix, as it really happened. Failures are statuses, never scores. */
export const TrialRecordSchema = z.object({
  schema: z.literal('skilldelta.trial/1'),
  runId: z.string(),
  goal: z.object({ id: z.string(), hash: z.string(), file: z.string(), tier: z.string() }),
  model: z.object({
    name: z.string(),
    provider: z.string(),
    requested: z.string(),
    reported: z.string().nullable(),
    params: z.number().nullable(),
  }),
  condition: z.string(),
  sample: z.number().int(),
  status: z.enum(TRIAL_STATUSES),
  /** Absent in records written before stages were recorded (those were always finished). */
  stage: z.enum(TRIAL_STAGES).optional(),
  error: z.string().optional(),
  prompt: z
    .object({
      hash: z.string(),
      /** Skills offered: why each was chosen, its size and (estimated) tokens. */
      skills: z.array(
        z.object({
          name: z.string(),
          /** driver or navigator (absent in records written before roles were recorded). */
          role: z.string().optional(),
          bytes: z.number(),
          tokens: z.number(),
          reason: z.string(),
          score: z.number(),
        }),
      ),
      droppedSkills: z.array(z.object({ name: z.string(), tokens: z.number(), why: z.string() })),
      /** How the skills reached the model (absent when none were offered, and in older records). */
      delivery: z.enum(['inline', 'on-demand']).optional(),
      /** A placebo condition: irrelevant notes of the length of these skills, instead of them. */
      placebo: z.object({ tokens: z.number(), matched: z.array(z.string()) }).optional(),
      /** Skills left out because their SKILL.md has errors (`skills.onError: skip`). */
      skippedSkills: z.array(z.object({ name: z.string(), file: z.string(), why: z.string() })).optional(),
      skillBudgetTokens: z.number(),
      example: z.string().optional(),
    })
    .optional(),
  generation: z
    .object({
      tokensIn: z.number().nullable(),
      tokensOut: z.number().nullable(),
      latencyMs: z.number(),
      finishReason: z.string().nullable(),
      attempts: z.number().int(),
    })
    .optional(),
  /** Driver/navigator generation: how it went and why it stopped. */
  loop: z
    .object({
      rounds: z.number().int(),
      turns: z.number().int(),
      stopReason: z.string(),
      skillsRead: z.array(z.string()).optional(),
    })
    .optional(),
  execution: z
    .object({
      status: z.string(),
      isolated: z.boolean(),
      wallMs: z.number(),
      cellsRun: z.number().int(),
      codeCells: z.number().int(),
      firstError: z.object({ cell: z.number().nullable(), ename: z.string(), evalue: z.string() }).nullable(),
    })
    .optional(),
  /** Whether this trial (or its model call) came from the cache, and from which run. */
  cache: z
    .object({
      mode: z.enum(['on', 'refresh', 'off']),
      key: z.string(),
      trial: z.enum(['hit', 'miss']),
      call: z.enum(['hit', 'miss', 'none']),
      from: z.string().optional(),
    })
    .optional(),
  /** The independent judge's verdict on the executed notebook, or why there is none. */
  judge: z
    .object({
      status: z.enum(['ok', 'error']),
      model: z.object({ name: z.string(), requested: z.string(), reported: z.string().nullable() }),
      /** Absent only when judging failed before the rubric or the digest existed. */
      rubric: z.object({ hash: z.string(), version: z.string(), factsVersion: z.string() }).optional(),
      digest: z
        .object({
          hash: z.string(),
          chars: z.number().int(),
          cells: z.number().int(),
          truncatedCells: z.number().int(),
        })
        .optional(),
      /** Integer 1–5 per dimension, and their mean (computed by the harness). */
      scores: z.record(z.string(), z.number()).optional(),
      mean: z.number().optional(),
      reasons: z.record(z.string(), z.string()).optional(),
      /** Passages addressed to the grader that the harness removed from the notebook. */
      flags: z.array(z.object({ cell: z.number().int(), excerpt: z.string() })),
      attempts: z.number().int(),
      tokensIn: z.number().nullable(),
      tokensOut: z.number().nullable(),
      latencyMs: z.number(),
      cache: z.enum(['hit', 'miss']),
      error: z.object({ kind: z.string(), message: z.string() }).optional(),
    })
    .optional(),
  checks: z.record(z.string(), CheckOutcomeSchema),
  artifacts: z.record(z.string(), z.string()),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
})
export type TrialRecord = z.infer<typeof TrialRecordSchema>

/**
 * What reports read of a trial: who it is, how it ended, what its scores are made of, which skills it
 * was offered and read. Reports, the gate and the run summary read records.jsonl through this view:
 * zod keeps these fields and drops the rest as each line is parsed, so a report holds a few hundred
 * bytes per trial however large the records are. A TrialRecord is a TrialView.
 */
export const TrialViewSchema = z.object({
  runId: z.string(),
  goal: z.object({ id: z.string(), tier: z.string() }),
  model: z.object({ name: z.string(), params: z.number().nullable() }),
  condition: z.string(),
  sample: z.number().int(),
  status: z.enum(TRIAL_STATUSES),
  stage: z.enum(TRIAL_STAGES).optional(),
  error: z.string().optional(),
  prompt: z
    .object({
      skills: z.array(z.object({ name: z.string() })),
      delivery: z.enum(['inline', 'on-demand']).optional(),
      placebo: z.object({ tokens: z.number() }).optional(),
    })
    .optional(),
  loop: z.object({ skillsRead: z.array(z.string()).optional() }).optional(),
  generation: z.object({ tokensOut: z.number().nullable() }).optional(),
  execution: z.object({ status: z.string() }).optional(),
  judge: z
    .object({
      status: z.enum(['ok', 'error']),
      model: z.object({ name: z.string() }),
      scores: z.record(z.string(), z.number()).optional(),
      mean: z.number().optional(),
    })
    .optional(),
  checks: z.record(
    z.string(),
    z.object({
      kind: z.string().optional(),
      objective: z.boolean().optional(),
      status: z.enum(['pass', 'fail', 'skip']),
      /** Why a judge check was skipped (the judge was unavailable in the run), said once per run. */
      measured: z.object({ judgeUnavailable: z.unknown().optional() }).optional(),
    }),
  ),
})
export type TrialView = z.infer<typeof TrialViewSchema>
