import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { DEFAULT_SKILL_MAX_BYTES } from '../skills/schema.ts'
import { readEnv, type Env } from './env.ts'
import { TIERS } from './tiers.ts'
import { PACKAGE_ROOT } from './paths.ts'

export type CacheMode = Env['SKILLDELTA_CACHE']

/** The default conditions. */
const DEFAULT_CONDITIONS = ['zero_shot', 'one_shot', 'with_skills'] as const
/**
 * Ready conditions, by name: the defaults, and three arms that separate what skills do from what
 * any prompt change does: placebo_skill (irrelevant notes of the same length as the selected skills),
 * skills_inline and skills_on_demand (the same selection, in the prompt vs read through a tool).
 */
const BUILTIN_CONDITIONS = [...DEFAULT_CONDITIONS, 'placebo_skill', 'skills_inline', 'skills_on_demand'] as const

const ConditionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_-]+$/, 'condition names are lower-case letters, digits, "_" and "-"'),
    /** Reference notebook (percent-format script) shown to the model. */
    example: z.string().optional(),
    /**
     * Skills given inline: none; select (keywords + BM25 against the goal, within the model's budget);
     * all (every SKILL.md, within budget); or exactly the named ones (within budget).
     */
    skills: z.union([z.enum(['none', 'select', 'all']), z.array(z.string()).min(1)]).default('none'),
    /**
     * inline: skill text in the system prompt; on-demand: names and descriptions listed, the model
     * reads what it wants with a read_skill tool (driver-navigator models only; no budget cap).
     */
    delivery: z.enum(['inline', 'on-demand']).optional(),
    /**
     * Placebo: instead of the skills, well-formed notes on an unrelated subject of exactly the same
     * length (skills/placebo.ts), so a gain over it is not just "a longer prompt". Inline only.
     */
    placebo: z.boolean().optional(),
    /**
     * A skill library of its own: this condition's skills come from this directory (relative to the
     * project) instead of `skillsDir`. Two conditions of one run can so compare two libraries (the
     * improvement loop's champion and candidate, each a snapshot).
     */
    skillsDir: z.string().min(1).optional(),
    /**
     * The index of this condition's first sample (default 0): its samples are firstSample …
     * firstSample + epochs − 1. An arm that must draw fresh samples — an A/A copy, a re-validation —
     * starts past the ones already drawn (samples are part of the model-call and trial cache keys).
     */
    firstSample: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((c) => !c.placebo || (c.skills !== 'none' && c.delivery !== 'on-demand'), {
    message: 'a placebo condition needs skills (select, all or names) to match in length, delivered inline',
  })
  .refine((c) => c.skillsDir === undefined || c.skills !== 'none', {
    message: 'a condition with its own skillsDir must offer skills (select, all or names)',
  })
export type Condition = z.infer<typeof ConditionSchema>

/**
 * The arms of one evaluation, from a JSON file (SKILLDELTA_ARMS): the goal files, the conditions
 * (each may bring its own skill library and first sample) and the samples per cell, in place of the
 * config's include, conditions and epochs. `skilldelta improve` writes one per evaluation, so each is
 * an ordinary run (cache, records, Vitest UI): `SKILLDELTA_ARMS=<file> npx vitest --ui --project <model>`.
 */
export const ArmsPlanSchema = z
  .object({
    schema: z.literal('skilldelta.arms/1'),
    /** Goal files or globs, relative to the project root. */
    include: z.array(z.string().min(1)).min(1),
    conditions: z.array(ConditionSchema).min(1),
    epochs: z.number().int().min(1),
  })
  .strict()
export type ArmsPlan = z.infer<typeof ArmsPlanSchema>

export function readArmsPlan(file: string): ArmsPlan {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`SKILLDELTA_ARMS="${file}": cannot read it (${(error as Error).message})`)
  }
  const parsed = ArmsPlanSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`SKILLDELTA_ARMS="${file}": ${issue.path.join('.') || '(file)'}: ${issue.message}`)
  }
  return parsed.data
}

const builtin = (name: (typeof BUILTIN_CONDITIONS)[number]): Condition => {
  if (name === 'one_shot') return { name, skills: 'none', example: 'auto' }
  if (name === 'with_skills') return { name, skills: 'select' }
  if (name === 'placebo_skill') return { name, skills: 'select', placebo: true }
  if (name === 'skills_inline') return { name, skills: 'select', delivery: 'inline' }
  if (name === 'skills_on_demand') return { name, skills: 'select', delivery: 'on-demand' }
  return { name, skills: 'none' }
}

export const ExecutionSettingsSchema = z
  .object({
    cellTimeoutSeconds: z.number().positive().default(300),
    startupTimeoutSeconds: z.number().positive().default(60),
    memoryMb: z.number().int().min(256).default(4096),
    /**
     * auto and bwrap: the kernel runs under bubblewrap, and a run without it stops; none: no isolation,
     * chosen on purpose (every run warns).
     */
    sandbox: z.enum(['auto', 'bwrap', 'none']).default('auto'),
    /** The sandbox's /tmp (the notebook's working directory) in MB: a RAM-backed disk, capped. */
    diskMb: z.number().int().min(16).default(1024),
    /** Processes and threads the kernel's tree may have (where a cgroup can be made). */
    maxProcesses: z.number().int().min(8).default(256),
    /** Simulated values the probe copies out of the kernel (time and data, all runs). */
    probeMaxValues: z.number().int().positive().default(20_000_000),
    /**
     * Kernels a worker starts ahead of their notebooks (while the model writes them), each with the
     * `preload` modules imported, each used for one notebook and killed after it; ~250 MB each while
     * they wait. 0: every kernel starts when its notebook comes.
     */
    warmKernels: z.number().int().min(0).default(2),
    /** Modules a kernel started ahead imports before its notebook, so the notebook's imports cost nothing. */
    preload: z
      .array(z.string().regex(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/, 'a Python module name'))
      .default(['numpy', 'scipy.signal', 'matplotlib.pyplot', 'tvb.simulator.lab']),
    /**
     * Notebooks executing at once on this machine, across every worker (default: one per core). Model
     * calls have their own limit (models.yaml `concurrency`): waiting on a provider never holds a core.
     */
    parallel: z
      .number()
      .int()
      .min(1)
      .default(() => availableParallelism()),
  })
  .strict()
export type ExecutionSettings = z.infer<typeof ExecutionSettingsSchema>

const JudgeSettingsSchema = z
  .object({
    /**
     * Anchored 1–5 rubric for the four dimensions (Markdown with a `version` in its frontmatter).
     * Default: the project's benchmarks/judge/rubric.md, else the one skilldelta ships.
     */
    rubric: z.string().optional(),
    /** Versioned domain facts the judge must use over its own memory (default as for the rubric). */
    facts: z.string().optional(),
    /** Size budget of the notebook digest the judge reads, in characters (cells are cut head+tail). */
    maxDigestChars: z.number().int().min(2_000).default(40_000),
    /** Replies that fail validation are retried with the error until this many attempts. */
    attempts: z.number().int().min(1).max(10).default(3),
  })
  .strict()
export type JudgeSettings = Omit<z.infer<typeof JudgeSettingsSchema>, 'rubric' | 'facts'> & {
  rubric: string
  facts: string
}

/** An explicit path is the user's; the default is the project's own file, else the package's. */
function judgeFile(root: string, explicit: string | undefined, fallback: string): string {
  if (explicit) return path.resolve(root, explicit)
  const own = path.resolve(root, fallback)
  return existsSync(own) ? own : path.join(PACKAGE_ROOT, fallback)
}

export const SkilldeltaOptionsSchema = z
  .object({
    models: z.string().default('models.yaml'),
    include: z.array(z.string()).default(['benchmarks/**/*.GOAL.md']),
    /**
     * Folder names that name a tier, over the built-in aliases (tutorial/, goals/, goals_abstract/,
     * goals_research/, …): e.g. { heldout_hard: 'research' }. Any folder on a goal's path counts.
     */
    tiers: z.record(z.string().min(1), z.enum(TIERS)).default({}),
    /**
     * Named subsets of the goals (globs, like `include`): `skilldelta run --suite <name>` or
     * SKILLDELTA_SUITE=<name> runs only those. E.g. a quick seed suite next to the full one.
     */
    suites: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), z.array(z.string()).min(1)).default({}),
    conditions: z
      .array(z.union([z.enum(BUILTIN_CONDITIONS), ConditionSchema]))
      .min(1)
      .default([...DEFAULT_CONDITIONS]),
    /**
     * The reference models of the headline comparison (small model + skills vs reference zero_shot);
     * default: the largest model by `params` among those in the run. Names from models.yaml.
     */
    reference: z.array(z.string().min(1)).min(1).optional(),
    /** The non-inferiority margin δ of the headline verdicts, as a fraction of the score's scale. */
    margin: z.number().gt(0).lt(1).default(0.1),
    epochs: z.number().int().min(1).default(1),
    resultsDir: z.string().default('results'),
    skillsDir: z.string().default('skills'),
    skills: z
      .object({
        /** Skills every skill-using condition offers first (e.g. notebook structure). */
        always: z.array(z.string()).default([]),
        /** Share of a model's context window the whole prompt may use; skills get what is left. */
        budgetFraction: z.number().gt(0).max(1).default(0.7),
        /**
         * A SKILL.md with problems: fail (default) stops the run before any model call, listing every
         * problem; skip runs without the bad skills and records which were skipped and why.
         */
        onError: z.enum(['fail', 'skip']).default('fail'),
        /** A SKILL.md larger than this is refused (the format's guideline is far smaller: 500 lines). */
        maxBytes: z.number().int().min(1024).default(DEFAULT_SKILL_MAX_BYTES),
      })
      .strict()
      .default({ always: [], budgetFraction: 0.7, onError: 'fail', maxBytes: DEFAULT_SKILL_MAX_BYTES }),
    oraclesDir: z.string().default('benchmarks/oracles'),
    /** Negative controls: `<goal file stem>__<what is wrong>.py`, each with a `# targets: <check kinds>` line. */
    controlsDir: z.string().default('benchmarks/controls'),
    /**
     * The reference notebooks `one_shot` (example: auto) shows, in order of preference: the first
     * that is not the goal's own oracle. Files in oraclesDir; without one, the first oracle by name.
     */
    examples: z.array(z.string().min(1)).default(['analyze_power_spectra.py', 'stochastic_vs_deterministic.py']),
    execution: ExecutionSettingsSchema.default(ExecutionSettingsSchema.parse({})),
    judge: JudgeSettingsSchema.default(JudgeSettingsSchema.parse({})),
  })
  .strict()
export type SkilldeltaOptions = z.input<typeof SkilldeltaOptionsSchema>

/** Options and environment, resolved once in the main process; workers receive it as a value. */
export interface Settings {
  root: string
  /** models.yaml, absolute. */
  modelsFile: string
  /** The GOAL.md globs this run collects: the chosen suite's, or `include`. */
  include: string[]
  /** The suite chosen with SKILLDELTA_SUITE, if any. */
  suite?: string
  /** SKILLDELTA_ARMS: the evaluation plan this run's goals, conditions and epochs come from. */
  arms?: string
  /** SKILLDELTA_ORACLES: the oracle bench's project is part of this run. */
  oracles?: 'all' | 'fast'
  /** Folder name → tier, over the built-in aliases. */
  tiers: Record<string, (typeof TIERS)[number]>
  conditions: Condition[]
  /** Reference models of the headline table (undefined: the largest by params). */
  reference?: string[]
  /** Non-inferiority margin δ as a fraction of the score's scale. */
  margin: number
  epochs: number
  resultsDir: string
  skillsDir: string
  skills: { always: string[]; budgetFraction: number; onError: 'fail' | 'skip'; maxBytes: number }
  oraclesDir: string
  controlsDir: string
  examples: string[]
  /** `sandbox` is the effective mode: "auto" already became "bwrap". */
  execution: ExecutionSettings
  judge: JudgeSettings
  cache: { mode: CacheMode; dir: string }
  /** SKILLDELTA_JUDGE, when set: overrides models.yaml's judge. */
  judgeOverride?: string
  debug: boolean
  allure: boolean
  /** Tests: the fixture server logs every request here. */
  fixtureLog?: string
}

/** The settings of one run: every model project of one Vitest invocation shares them. */
export interface RunSettings extends Settings {
  runId: string
}

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z')
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`
}

/** The skill library a condition offers: its own (a snapshot), or the run's. */
export const skillsDirOf = (settings: Pick<Settings, 'skillsDir'>, condition: Condition): string =>
  condition.skillsDir ?? settings.skillsDir

/** Isolation is never silently off: "auto" means bubblewrap, required; only an explicit "none" runs without. */
export function effectiveSandbox(mode: ExecutionSettings['sandbox']): ExecutionSettings['sandbox'] {
  return mode === 'auto' ? 'bwrap' : mode
}

function suiteGlobs(options: z.output<typeof SkilldeltaOptionsSchema>, suite: string | undefined): string[] {
  if (!suite) return options.include
  const globs = options.suites[suite]
  if (globs) return globs
  const known = Object.keys(options.suites)
  throw new Error(
    `SKILLDELTA_SUITE="${suite}": no such suite in the skilldelta config ` +
      (known.length ? `(suites: ${known.join(', ')})` : '(it defines no `suites:`; add one, or unset the variable)'),
  )
}

/** Pure: the same options and environment always give the same settings (the run id is chosen elsewhere). */
export function resolveSettings(
  options: SkilldeltaOptions,
  root: string,
  raw: NodeJS.ProcessEnv = process.env,
): Settings {
  const parsed = SkilldeltaOptionsSchema.parse(options)
  const env = readEnv(raw)
  const sandbox = effectiveSandbox(env.SKILLDELTA_SANDBOX ?? parsed.execution.sandbox)
  const arms = env.SKILLDELTA_ARMS ? readArmsPlan(path.resolve(root, env.SKILLDELTA_ARMS)) : undefined
  const given: (Condition | (typeof BUILTIN_CONDITIONS)[number])[] = arms?.conditions ?? parsed.conditions
  const conditions = given.map((c) => (typeof c === 'string' ? builtin(c) : c))
  return {
    root,
    modelsFile: path.resolve(root, parsed.models),
    include: arms?.include ?? suiteGlobs(parsed, env.SKILLDELTA_SUITE),
    ...(env.SKILLDELTA_SUITE ? { suite: env.SKILLDELTA_SUITE } : {}),
    ...(env.SKILLDELTA_ARMS ? { arms: path.resolve(root, env.SKILLDELTA_ARMS) } : {}),
    ...(env.SKILLDELTA_ORACLES ? { oracles: env.SKILLDELTA_ORACLES } : {}),
    tiers: parsed.tiers,
    conditions: conditions.map((c) => (c.skillsDir ? { ...c, skillsDir: path.resolve(root, c.skillsDir) } : c)),
    ...(parsed.reference ? { reference: parsed.reference } : {}),
    margin: parsed.margin,
    epochs: arms?.epochs ?? env.SKILLDELTA_EPOCHS ?? parsed.epochs,
    resultsDir: path.resolve(root, parsed.resultsDir),
    skillsDir: path.resolve(root, parsed.skillsDir),
    skills: parsed.skills,
    oraclesDir: path.resolve(root, parsed.oraclesDir),
    controlsDir: path.resolve(root, parsed.controlsDir),
    examples: parsed.examples,
    execution: { ...parsed.execution, sandbox },
    judge: {
      ...parsed.judge,
      rubric: judgeFile(root, parsed.judge.rubric, 'benchmarks/judge/rubric.md'),
      facts: judgeFile(root, parsed.judge.facts, 'benchmarks/judge/domain-facts.md'),
    },
    cache: {
      mode: env.SKILLDELTA_CACHE,
      dir: env.SKILLDELTA_CACHE_DIR ?? path.join(PACKAGE_ROOT, '.cache', 'skilldelta'),
    },
    ...(env.SKILLDELTA_JUDGE ? { judgeOverride: env.SKILLDELTA_JUDGE } : {}),
    debug: env.SKILLDELTA_DEBUG,
    allure: env.SKILLDELTA_ALLURE,
    ...(env.SKILLDELTA_FIXTURE_LOG ? { fixtureLog: env.SKILLDELTA_FIXTURE_LOG } : {}),
  }
}
