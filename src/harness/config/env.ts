import { z } from 'zod'

/**
 * Every SKILLDELTA_* variable is parsed here, once, with zod; the rest of the harness
 * receives the values. The README's "Environment variables" table documents the same list.
 * (scripts/setup.mjs reads SKILLDELTA_PYTHON_BASE and SKILLDELTA_NO_SYSTEM_PACKAGES itself: it
 * runs before any npm package, zod included, is installed.)
 */

const flag = z.enum(['0', '1', 'true', 'false']).transform((value) => value === '1' || value === 'true')
const positiveInt = z.coerce.number().int().min(1)

const EnvSchema = z.object({
  /** The run id (directory name under results/); default: a new timestamped id per invocation. */
  SKILLDELTA_RUN_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" (it names a directory)')
    .optional(),
  /** Samples per (goal, model, condition) cell; overrides `epochs`. */
  SKILLDELTA_EPOCHS: positiveInt.optional(),
  /** auto | bwrap | none; overrides `execution.sandbox`. */
  SKILLDELTA_SANDBOX: z.enum(['auto', 'bwrap', 'none']).optional(),
  /** on (read and write, default) | refresh (write only) | off. */
  SKILLDELTA_CACHE: z.enum(['on', 'refresh', 'off']).default('on'),
  /** Where the model-call and trial cache lives (default: .cache/skilldelta in the package). */
  SKILLDELTA_CACHE_DIR: z.string().min(1).optional(),
  /** The judge: a model name from models.yaml, or "none". Overrides `judge.model`. */
  SKILLDELTA_JUDGE: z.string().min(1).optional(),
  /** A named suite of goals (the `suites` option); default: every goal `include` matches. */
  SKILLDELTA_SUITE: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a suite name from vitest.config.ts (`suites:`)')
    .optional(),
  /**
   * A JSON file (skilldelta.arms/1, written by `skilldelta improve`): the goals, conditions and samples
   * of one evaluation, in place of the config's include, conditions and epochs.
   */
  SKILLDELTA_ARMS: z.string().min(1).optional(),
  /** all | fast: add the `oracles` project (every oracle and negative control; see `skilldelta oracles`). */
  SKILLDELTA_ORACLES: z.enum(['all', 'fast']).optional(),
  /** 1: keep harness frames in stack traces. */
  SKILLDELTA_DEBUG: flag.default(false),
  /** The harness's Python (default: the project's .venv). */
  SKILLDELTA_PYTHON: z.string().min(1).optional(),
  /** 1: also write Allure results (allure-results/). */
  SKILLDELTA_ALLURE: flag.default(false),
  /** A file the fixture server appends one line per model request to (tests count real calls). */
  SKILLDELTA_FIXTURE_LOG: z.string().min(1).optional(),
})
export type Env = z.infer<typeof EnvSchema>

class EnvError extends Error {
  override name = 'EnvError'
}

/** Parse the environment; a bad value names the variable, what it got, and what it accepts. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')))
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0])
    return `${name}="${env[name]}": ${issue.message}`
  })
  throw new EnvError(`bad environment variable${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`)
}

/**
 * The CLI's choices for the Vitest run it starts in this process: the config reads them back with
 * readEnv() when Vitest evaluates it (the one channel a config has; nothing else writes SKILLDELTA_*).
 */
export function chooseForRun(choice: {
  suite?: string
  oracles?: 'all' | 'fast'
  runId?: string
  arms?: string
}): void {
  if (choice.suite !== undefined) process.env.SKILLDELTA_SUITE = choice.suite
  if (choice.oracles !== undefined) process.env.SKILLDELTA_ORACLES = choice.oracles
  if (choice.runId !== undefined) process.env.SKILLDELTA_RUN_ID = choice.runId
  if (choice.arms !== undefined) process.env.SKILLDELTA_ARMS = choice.arms
}
