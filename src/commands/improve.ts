import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { chooseForRun } from '../harness/config/env.ts'
import { loadModelsFile, type ModelSpec } from '../harness/config/models.ts'
import { PACKAGE_ROOT } from '../harness/config/paths.ts'
import type { ArmsPlan, Settings } from '../harness/config/settings.ts'
import { parseGoal } from '../harness/goal/parse.ts'
import type { Goal } from '../harness/goal/schema.ts'
import { keeperFor } from '../harness/improve/branch.ts'
import { formatFinal, TSV_FILE } from '../harness/improve/ledger.ts'
import { libraryHash } from '../harness/improve/library.ts'
import { runStudy, type Evaluator, type StopRules } from '../harness/improve/loop.ts'
import { ModelClient } from '../harness/models/client.ts'
import { loadFixtureScript, startFixtureServer, type FixtureServer } from '../harness/models/fixture-server.ts'
import { METRICS, type MetricName } from '../harness/report/ablation.ts'
import { DEFAULT_MARGIN } from '../harness/report/gate.ts'
import { MIN_GOALS_FOR_INTERVAL } from '../harness/report/stats.ts'
import { readRun } from '../harness/results/store.ts'
import { formatSkillProblem, loadSkills } from '../harness/skills/load.ts'
import { globFiles } from '../harness/util/glob.ts'
import { terminalSafe } from '../harness/util/terminal.ts'

/**
 * `skilldelta improve`: the creation phase of the study. Parses and checks the inputs, then runs the
 * loop (harness/improve/loop.ts) with two things only the CLI can give it: the evaluations, each an
 * ordinary Vitest run of the project (one condition per library, SKILLDELTA_ARMS), and the teacher.
 */

export interface ImproveOptions {
  teacher: string
  students: string[]
  train: string[]
  holdout: string[]
  budgets: string[]
  samples?: number
  patience?: number
  target?: number
  revalidate?: number
  margin?: number
  skillTokens?: number
  id?: string
  skills?: string
  offer?: string
  metric?: string
  final?: string
  config?: string
}

/** A mistake in the inputs: the CLI prints it and exits 2. */
export class ImproveInputError extends Error {}

const DEFAULTS = { samples: 2, patience: 3, revalidate: 3, skillTokens: 1200, attempts: 3 }

/** `--budget 10`, `10iterations`, `2e6tokens`, `90minutes`: several may be given, each a limit. */
export function parseBudgets(budgets: string[]): Pick<StopRules, 'iterations' | 'tokens' | 'minutes'> {
  const rules: Pick<StopRules, 'iterations' | 'tokens' | 'minutes'> = {}
  for (const budget of budgets) {
    const match = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(iterations?|tokens?|minutes?)?$/i.exec(budget.trim())
    if (!match)
      throw new ImproveInputError(
        `--budget "${budget}": write a number and a unit, e.g. 10iterations, 500000tokens or 90minutes`,
      )
    const value = Number(match[1])
    const unit = (match[2] ?? 'iterations').toLowerCase().replace(/s$/, '')
    if (unit === 'iteration') rules.iterations = Math.floor(value)
    else if (unit === 'token') rules.tokens = value
    else rules.minutes = value
  }
  return rules
}

function loadGoals(settings: Settings, globs: string[], what: string): Goal[] {
  const files = globFiles(settings.root, globs)
  if (files.length === 0) throw new ImproveInputError(`--${what} ${globs.join(' ')}: no goal file matches`)
  const goals: Goal[] = []
  for (const file of files) {
    const parsed = parseGoal(readFileSync(file), file, { tiers: settings.tiers, root: settings.root })
    if (!parsed.ok) throw new ImproveInputError(parsed.errors.map((e) => e.message).join('\n'))
    goals.push(parsed.goal)
  }
  return goals
}

/** Every goal the project has (for the leak check); goals that do not parse are `skilldelta goals`' business. */
function projectGoals(settings: Settings): Goal[] {
  return globFiles(settings.root, settings.include).flatMap((file) => {
    const parsed = parseGoal(readFileSync(file), file, { tiers: settings.tiers, root: settings.root })
    return parsed.ok ? [parsed.goal] : []
  })
}

const PROGRESS_REPORTER = path.join(PACKAGE_ROOT, 'reporters/progress.ts')

/**
 * Each evaluation is a Vitest run of the project's own config: its arms (one condition per library)
 * come from an arms file (SKILLDELTA_ARMS) and its run id is chosen, so the trial cache, the records
 * and the Vitest UI work as for any run. A run that could not complete throws: the study stops, and
 * the same command resumes it.
 */
function vitestEvaluator(
  settings: Settings,
  students: ModelSpec[],
  offer: 'all' | 'select',
  armsDir: string,
  config?: string,
): Evaluator {
  return async (evaluation) => {
    const plan: ArmsPlan = {
      schema: 'skilldelta.arms/1',
      include: evaluation.goals,
      conditions: evaluation.arms.map((arm) => ({
        name: arm.name,
        skills: offer,
        skillsDir: arm.library,
        ...(arm.firstSample ? { firstSample: arm.firstSample } : {}),
      })),
      epochs: evaluation.samples,
    }
    await mkdir(armsDir, { recursive: true })
    const file = path.join(armsDir, `${evaluation.runId}.json`)
    await writeFile(file, `${JSON.stringify(plan, null, 2)}\n`)
    chooseForRun({ runId: evaluation.runId, arms: file })
    const { parseCLI, startVitest } = await import('vitest/node')
    const args = [
      'vitest',
      'run',
      ...students.flatMap((s) => ['--project', s.name]),
      `--reporter=${PROGRESS_REPORTER}`,
      ...(config ? ['--config', config] : []),
    ]
    const { filter, options } = parseCLI(args)
    const vitest = await startVitest('test', filter, { ...options, run: true, watch: false })
    const files = vitest.state.getFiles()
    const broken = files.filter(
      (f) => f.result?.state === 'fail' && (f.result.errors?.length ?? 0) > 0 && f.tasks.length === 0,
    )
    const unhandled = vitest.state.getUnhandledErrors()
    await vitest.close()
    const { records, unfinished } = await readRun(settings.resultsDir, evaluation.runId)
    const problems = [
      files.length === 0 ? 'no goal file ran' : '',
      broken.length ? `${broken.length} goal file(s) failed to collect: ${broken.map((f) => f.name).join(', ')}` : '',
      unhandled.length ? `${unhandled.length} unhandled error(s)` : '',
      unfinished.length ? `${unfinished.length} trial(s) never finished` : '',
    ].filter(Boolean)
    if (problems.length)
      throw new Error(
        `evaluation ${evaluation.runId} did not complete (${problems.join('; ')}); run the command again to resume`,
      )
    return records
  }
}

function studyId(parts: unknown): string {
  return `improve-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 8)}`
}

const positive = (value: number | undefined, name: string, integer = true): number | undefined => {
  if (value === undefined) return undefined
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new ImproveInputError(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got ${value})`)
  return value
}

export async function improveCommand(settings: Settings, given: ImproveOptions): Promise<number> {
  const file = loadModelsFile(settings.modelsFile)
  const all = [...file.models, ...file.judges]
  const teacher = all.find((m) => m.name === given.teacher)
  if (!teacher)
    throw new ImproveInputError(
      `--teacher ${given.teacher}: no such model in ${settings.modelsFile} (${all.map((m) => m.name).join(', ')})`,
    )
  if (given.students.length === 0) throw new ImproveInputError('--student <model>[,<model>…] is required')
  const students = given.students.map((name) => {
    const model = file.models.find((m) => m.name === name)
    if (!model)
      throw new ImproveInputError(
        `--student ${name}: not a model (Vitest project) in ${settings.modelsFile} ` +
          `(${file.models.map((m) => m.name).join(', ')})`,
      )
    return model
  })
  if (given.train.length === 0 || given.holdout.length === 0)
    throw new ImproveInputError('--train <glob> and --holdout <glob> are both required')
  const train = loadGoals(settings, given.train, 'train')
  const holdout = loadGoals(settings, given.holdout, 'holdout')
  const shared = train.filter((g) => holdout.some((h) => h.id === g.id)).map((g) => g.id)
  if (shared.length)
    throw new ImproveInputError(`goals in both --train and --holdout: ${shared.join(', ')} (the holdout must be apart)`)
  const offer = given.offer ?? 'all'
  if (offer !== 'all' && offer !== 'select') throw new ImproveInputError(`--offer must be all or select (got ${offer})`)
  const metric = given.metric ?? 'objective'
  if (!(metric in METRICS)) throw new ImproveInputError(`--metric must be one of ${Object.keys(METRICS).join(', ')}`)
  const final = given.final ?? 'fresh'
  if (final !== 'fresh' && final !== 'reuse')
    throw new ImproveInputError(`--final must be fresh or reuse (got ${final})`)
  const margin = given.margin ?? DEFAULT_MARGIN
  if (!Number.isFinite(margin) || margin < 0) throw new ImproveInputError(`--margin must be a number ≥ 0`)
  const samples = positive(given.samples, 'samples') ?? DEFAULTS.samples
  const patience = positive(given.patience, 'patience') ?? DEFAULTS.patience
  const revalidateEvery = positive(given.revalidate, 'revalidate') ?? DEFAULTS.revalidate
  const maxSkillTokens = positive(given.skillTokens, 'skill-tokens') ?? DEFAULTS.skillTokens
  const target = positive(given.target, 'target', false)
  const budgets = parseBudgets(given.budgets)

  const startLibrary = path.resolve(settings.root, given.skills ?? settings.skillsDir)
  const library = loadSkills(startLibrary, { maxBytes: settings.skills.maxBytes })
  const errors = library.problems.filter((p) => p.severity === 'error')
  if (errors.length)
    throw new ImproveInputError(`the start library has problems:\n${errors.map(formatSkillProblem).join('\n')}`)
  if (library.skills.length === 0)
    throw new ImproveInputError(`the start library ${startLibrary} has no skill (the arms offer skills: give it one)`)
  const id =
    given.id ??
    studyId({
      teacher: teacher.name,
      students: students.map((s) => s.name),
      train: train.map((g) => g.id),
      holdout: holdout.map((g) => g.id),
      start: libraryHash(startLibrary),
      samples,
      offer,
      metric,
    })
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id))
    throw new ImproveInputError(`--id ${id}: letters, digits, ".", "_" and "-"`)
  const log = (line: string) => console.log(terminalSafe(line))
  for (const [what, goals] of [
    ['train', train],
    ['holdout', holdout],
  ] as const)
    if (goals.length < MIN_GOALS_FOR_INTERVAL)
      log(
        `[improve] warning: --${what} has ${goals.length} goal(s); ` +
          `below ${MIN_GOALS_FOR_INTERVAL} a Δ has no interval, ` +
          `so no change can be ${what === 'train' ? 'accepted' : 'confirmed'}`,
      )

  let server: FixtureServer | undefined
  if (teacher.provider === 'fixture')
    server = await startFixtureServer(
      { [teacher.model]: loadFixtureScript(teacher.script) },
      { files: { [teacher.model]: teacher.script }, ...(settings.fixtureLog ? { log: settings.fixtureLog } : {}) },
    )
  const client = new ModelClient({ cache: settings.cache, ...(server ? { fixtureUrl: server.url } : {}) })
  const dir = path.join(settings.resultsDir, id)
  try {
    const keeper = await keeperFor(startLibrary, id, path.join(dir, 'accepted'))
    log(`[improve] study ${id}: ${path.relative(process.cwd(), dir) || dir}; accepted libraries go to ${keeper.where}`)
    const result = await runStudy({
      id,
      settings,
      resultsDir: settings.resultsDir,
      teacher,
      students,
      train,
      holdout,
      corpus: [...train, ...holdout, ...projectGoals(settings)],
      samples,
      offer,
      metric: metric as MetricName,
      margin,
      revalidateEvery,
      maxSkillTokens,
      final,
      proposalAttempts: DEFAULTS.attempts,
      startLibrary,
      stop: { ...budgets, patience, ...(target !== undefined ? { target } : {}) },
      client,
      evaluate: vitestEvaluator(settings, students, offer, path.join(dir, 'arms'), given.config),
      keeper,
      log,
    })
    const table = formatFinal(result.final)
    await writeFile(path.join(dir, 'final.md'), `${formatFinal(result.final, true)}\n`)
    const tsv = path.join(dir, TSV_FILE)
    log(`\n${table}\n\n${existsSync(tsv) ? `every decision: ${path.relative(process.cwd(), tsv)}` : ''}`)
    return 0
  } finally {
    await server?.close()
  }
}
