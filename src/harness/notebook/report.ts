import { z } from 'zod'

/** The runner's JSON report (python/skilldelta_py/run_notebook.py), validated at the boundary. */

const CellErrorSchema = z.object({
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
})

const CellReportSchema = z.object({
  index: z.number().int(),
  cellType: z.string(),
  status: z.enum(['ok', 'error', 'timeout', 'not_run', 'skipped']),
  sourceExcerpt: z.string(),
  durationMs: z.number().optional(),
  outputs: z.object({ streamChars: z.number(), images: z.number(), displays: z.number() }).optional(),
  error: CellErrorSchema.optional(),
  errorLine: z.number().int().nullable().optional(),
})
export type CellReport = z.infer<typeof CellReportSchema>

const NotebookProblemSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string(),
  path: z.string(),
})

const ProbedSignalSchema = z.object({
  id: z.string(),
  /** The notebook's name for the series (its first name), or sim.run#<run>[<monitor position>]. */
  source: z.string(),
  /** Every name the notebook still holds the unchanged output under. */
  names: z.array(z.string()).default([]),
  /** Only outputs of TVB's real Simulator.run, recorded as they returned, are signals. */
  kind: z.literal('sim.run'),
  /** Which Simulator.run call (1-based) produced it. */
  run: z.number().int().optional(),
  monitor: z.string().nullable(),
  /** The state variables along the data's second axis, by name (from the monitor), when known. */
  variables: z.array(z.string()).default([]),
  shape: z.array(z.number().int()),
  samples: z.number().int(),
  dt_ms: z.number(),
  start_ms: z.number(),
  duration_ms: z.number(),
  file: z.string().optional(),
  skipped: z.string().optional(),
})
export type ProbedSignal = z.infer<typeof ProbedSignalSchema>

const SimulatorSummarySchema = z
  .object({
    model: z.string().nullable(),
    integrator: z.string().nullable(),
    stochastic: z.boolean(),
    dt: z.number().nullable(),
    monitors: z.array(z.object({ type: z.string().nullable(), period: z.number().nullable() })),
  })
  .passthrough()
  .or(z.object({ error: z.string() }))

export type Numeric = number | null | Numeric[]
const NumericSchema: z.ZodType<Numeric> = z.lazy(() => z.union([z.number(), z.null(), z.array(NumericSchema)]))

/** A named result: a number (or nested lists of numbers; null where the value was not finite). */
const ResultValueSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), value: NumericSchema }),
  z.object({ status: z.literal('missing') }),
  z.object({ status: z.literal('unusable'), reason: z.string() }),
])
export type ResultValue = z.infer<typeof ResultValueSchema>

export const ProbeReportSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ok'),
    signals: z.array(ProbedSignalSchema),
    simulators: z.record(z.string(), SimulatorSummarySchema),
    /** Named results (variables the goal's checks read), by name. */
    results: z.record(z.string(), ResultValueSchema).default({}),
    /** Whether TVB's Simulator was imported (and so hooked) in this kernel. */
    hooked: z.boolean().default(false),
    droppedRuns: z.number().int().default(0),
    errors: z.array(z.string()).default([]),
    durationMs: z.number(),
  }),
  z.object({ status: z.literal('error'), error: CellErrorSchema, durationMs: z.number() }),
  z.object({ status: z.literal('skipped'), reason: z.string().optional() }),
])
export type ProbeReport = z.infer<typeof ProbeReportSchema>

const EXECUTION_STATUSES = [
  'ok',
  'invalid_notebook',
  'cell_error',
  'cell_timeout',
  'total_timeout',
  'kernel_died',
  'kernel_start_failed',
  'runner_error',
  'output_limit',
] as const

export const RunnerReportSchema = z.object({
  status: z.enum(EXECUTION_STATUSES),
  validation: z.object({ ok: z.boolean(), problems: z.array(NotebookProblemSchema) }),
  cells: z.array(CellReportSchema),
  firstError: CellErrorSchema.extend({ cell: z.number().int().nullable(), sourceExcerpt: z.string() }).nullable(),
  probe: ProbeReportSchema,
  executedNotebook: z.string().nullable(),
  timings: z.record(z.string(), z.number()),
  /** The limits really applied to the kernel's process tree (cgroup or rlimit, seccomp). */
  limits: z
    .object({
      memory: z.string(),
      processes: z.string(),
      seccomp: z.string(),
      memoryMb: z.number(),
      maxProcesses: z.number(),
      cpuSeconds: z.number(),
      warnings: z.array(z.string()),
      peakMemoryMb: z.number().optional(),
    })
    .passthrough()
    .optional(),
  /** How the notebook got its kernel: started ahead (with modules preloaded) or on demand, and how long it waited. */
  kernel: z
    .object({
      startedAhead: z.boolean(),
      preloaded: z.array(z.string()),
      startMs: z.number(),
      preloadMs: z.number(),
      waitMs: z.number(),
    })
    .optional(),
  /** Cell metadata the harness removed before running (tags such as raises-exception change execution). */
  metadataStripped: z.array(z.object({ cell: z.number().int(), keys: z.array(z.string()) })).default([]),
  /** Output the runner cut to stay within its budgets. */
  outputCuts: z.array(z.record(z.string(), z.unknown())).default([]),
  /** Stream outputs whose name was neither stdout nor stderr (renamed: a name cannot forge structure). */
  renamedStreams: z.number().int().default(0),
})
export type RunnerReport = z.infer<typeof RunnerReportSchema>

/** What executeNotebook returns: the runner's report plus what the harness saw around it. */
export interface ExecutionReport extends Omit<RunnerReport, 'status'> {
  /** `harness_error`: the runner itself failed or had to be killed — an infrastructure problem. */
  status: RunnerReport['status'] | 'harness_timeout' | 'harness_error'
  notebook: string
  /** SKILLDELTA_SANDBOX_MARKER in the environment of every process this execution started. */
  marker: string
  isolated: boolean
  sandboxWarning?: string
  wallMs: number
  harnessError?: string
}
