import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { goalsCommand } from './commands/goals.ts'
import { ImproveInputError, improveCommand } from './commands/improve.ts'
import { projectSettings } from './commands/project.ts'
import { lintCommand } from './commands/lint.ts'
import { fixturesCommand, suiteCommand } from './commands/oracles.ts'
import { evalCommand, listSkills, selectCommand } from './commands/skills.ts'
import { chooseForRun } from './harness/config/env.ts'
import { RUNTIME_MODULE } from './harness/config/paths.ts'
import { loadCatalog } from './harness/oracles/catalog.ts'
import { ORACLES_PROJECT } from './harness/oracles/plan.ts'
import { existingRun } from './harness/config/run.ts'
import { effectiveSandbox, ExecutionSettingsSchema, type Settings } from './harness/config/settings.ts'
import { assessExecution } from './harness/checks/executes.ts'
import { compileGoal } from './harness/goal/compile.ts'
import { executeNotebook } from './harness/notebook/execute.ts'
import { buildAblation, METRICS, type MetricName } from './harness/report/ablation.ts'
import { baselineFrom, DEFAULT_MARGIN, formatGate, gate, readBaseline, writeBaseline } from './harness/report/gate.ts'
import { analyzeFailures, formatFailuresMarkdown, writeFailures } from './harness/report/failures.ts'
import { agreement, calibration, formatAgreement, formatCalibration } from './harness/report/judge-quality.ts'
import { formatPlan, pilotSources, planRow, statedSource, type PlanReport } from './harness/report/plan.ts'
import { formatSummary, judgeSkipNote, summariseRecords } from './harness/report/summary.ts'
import { terminalSafe } from './harness/util/terminal.ts'
import {
  mergeRecordFiles,
  readRun,
  readRunView,
  recordsFile,
  RECORDS_FILE,
  type RunRecords,
} from './harness/results/store.ts'
import type { TrialView } from './harness/results/schema.ts'

const USAGE = `skilldelta — LLM skill benchmarks as Vitest suites

Usage:
  skilldelta run [--suite <name>] [vitest options and filters]
      Run the benchmark matrix (e.g. --project smollm2-135m -t zero_shot) and print a summary of the
      trial records. Exits 0 when the run completed — failed checks are results, not errors — and 1
      when it could not (collection errors, unhandled errors, infra_error or unfinished trials).
  skilldelta merge --run <run id> <shard dir or records.jsonl>... [--results results]
      Merge sharded runs into results/<run id>/records.jsonl (the latest record of each trial), e.g.
      the per-shard results/ directories of a CI matrix. Then \`vitest --merge-reports\` prints the tables.
  skilldelta baseline update --run <run id> [--results results] [--out results/baseline.json] [--metric objective|judge]
      Make the committed baseline from a run's records, scored by objective checks (default) or by
      the judge's mean; the gate scores new runs with the baseline's metric.
  skilldelta gate --run <run id> [--results results] [--baseline results/baseline.json] [--margin 0.1]
      Compare a run with the baseline, paired by (model, condition, goal). Exit 1 on a regression
      (the whole 95% CI of new − baseline below −margin); drops within the noise are reported.
  skilldelta analyze --run <run id> [--results results]
      The run's failures in clusters: crashes by exception, TVB symbol and failing operation; objective
      checks that failed with their measured numbers; judge reasons for notebooks that scored low; each
      with counts per model and condition, example trials and the skills offered and read. Writes
      results/<run id>/failures.md and failures.json.
  skilldelta improve --teacher <model> --student <model>[,<model>…] --train <glob> --holdout <glob>
                     [--budget 10iterations|500000tokens|90minutes]... [--samples 2] [--patience 3]
                     [--target <score>] [--revalidate 3] [--margin 0.1] [--skill-tokens 1200]
                     [--skills <start library dir>] [--offer all|select] [--metric objective|judge]
                     [--final fresh|reuse] [--id <study id>] [--config vitest.config.ts]
      The improvement loop on the skill library: an A/A run measures the noise floor; then each iteration
      gives the teacher one failure cluster of the champion on the train goals, screens its proposed change
      (format, size, security, leaks, TVB names, code run in the sandbox), evaluates champion vs candidate
      (K samples × every student, paired by goal, as two conditions of one Vitest run), keeps it only when
      the gain's lower 95% bound is above 0 and above the A/A floor, and confirms it on the holdout goals
      the teacher never sees. Every decision: results/<study id>/results.tsv; accepted libraries: commits on
      the branch skilldelta/improve-<id> (snapshots outside git). Stops on a budget, --patience consecutive
      rejections or --target; prints start vs end library per student. Killed, the same command resumes.
  skilldelta plan --effect <Δ> [--from <run id> | --sd <σ>] [--icc <ρ>] [--metric objective|judge]
                  [--power 0.8] [--samples 5] [--results results]
      Before paying for a run: the goals × samples per cell each comparison needs for that power to
      detect an effect of Δ (in score units, e.g. 0.1 of the objective share), and the cost in trials.
      The variance comes from a pilot run (--from: every condition vs its baseline, and the headline
      comparisons) or is stated (--sd: a goal's difference with one sample per cell; --icc: the share of
      it that is between goals, default 1).
  skilldelta judge calibrate --run <run id> [--good fixture-oracle] [--bad fixture-broken] [--results results]
      How well the run's judge separates known-good notebooks (oracles) from known-bad ones
      (negative controls) on the same goals. Make the run with e.g.
      SKILLDELTA_JUDGE=kimi-k2.6 npx vitest run --project fixture-oracle --project fixture-broken -t zero_shot
  skilldelta judge agree --run <run id> --with <run id> [--results results]
      Inter-judge agreement (quadratic-weighted Cohen's κ per dimension) between two runs of the same
      trials graded by different judges (the trial cache makes the second run judge-only).
  skilldelta goals [--json] [--config vitest.config.ts]
      List every goal the project's include globs find (default benchmarks/**/*.GOAL.md): its id, tier,
      source, timeout and checks, and where each default came from. Exit 1 listing every problem.
  skilldelta skills [--json] [--config vitest.config.ts]
      List every skill (Agent Skills format) and validate it as a run does before any model call.
      Exit 1 listing every problem (file:line:col, field, fix).
  skilldelta skills select <GOAL.md> [--model <name>] [--condition <name>] [--json]
      Which skills a trial of this goal would be offered and which dropped: score, reason, tokens, and
      the model's budget (default: the first model in models.yaml, the first condition with skills).
  skilldelta skills eval [--set benchmarks/selection/relevance.yaml] [--model <name>]... [--json]
      Recall and precision of skill selection on a labelled relevance set, at each model's budget.
  skilldelta oracles [--fast] [vitest options, e.g. -t research/]
      The oracle bench: every goal's oracle must pass each objective check, every negative control must
      fail the checks it targets (its \`# targets:\` line) and pass the rest — run as trials through
      fixture models, with a goal × check table. --fast: one control per check kind and its goal's oracle.
  skilldelta fixtures [--check]
      Write the fixture-oracle and fixture-broken scripts (models.yaml) from the goals, oracles and
      controls; --check exits 1 when they are out of date.
  skilldelta suite [--markdown] [--config vitest.config.ts]
      The suite by tier: goals, oracles, controls, objective check kinds, and the oracles' wall times
      from the latest \`skilldelta oracles\` run.
  skilldelta lint [--no-run] [--config vitest.config.ts]
      Goals and skills against the pinned TVB: every class, monitor, model parameter and integrator
      named in a code span or Python block is looked up (with the nearest real name when it is wrong),
      and every Python block of every skill runs in the sandbox (--no-run: names only). Exit 1 on problems.
  skilldelta compile <GOAL.md> [--out <file.test.ts | dir>]
      Print (or write) the Vitest test module a GOAL.md compiles to.
  skilldelta execute <notebook.ipynb> [--dir <trial dir>] [--timeout <s>] [--sandbox auto|bwrap|none]
      Run a notebook the way trials do (fresh kernel, sandbox, probe) and print the report.
`

/** A mistake in how the command was called: the reason on stderr (with the usage when asked), exit 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message)
  }
}

type Values = Record<string, string | boolean | string[] | undefined>
const text = (values: Values, name: string): string | undefined =>
  typeof values[name] === 'string' ? (values[name] as string) : undefined

function compile(file: string, out: string | undefined, settings: Settings): number {
  const stat = statSync(file, { throwIfNoEntry: false })
  if (!stat) throw new UsageError(`skilldelta compile: ${file}: no such file`)
  if (stat.isDirectory()) {
    throw new UsageError(
      `skilldelta compile: ${file} is a directory; name a GOAL.md file (skilldelta goals lists them)`,
    )
  }
  let source: Buffer
  try {
    source = readFileSync(file)
  } catch (error) {
    throw new UsageError(`skilldelta compile: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`)
  }
  let target = out
  if (out && statSync(out, { throwIfNoEntry: false })?.isDirectory()) {
    target = path.join(out, path.basename(file).replace(/\.GOAL\.md$/i, '.test.ts'))
  }
  // a written file imports the runtime relative to itself, so it runs from where it is
  const runtimeImport = target
    ? path.relative(path.dirname(path.resolve(target)), RUNTIME_MODULE).replace(/^(?!\.)/, './')
    : RUNTIME_MODULE
  const compiled = compileGoal(source, path.resolve(file), {
    runtimeImport,
    tiers: settings.tiers,
    root: settings.root,
  })
  if (compiled.errors) {
    console.error(compiled.errors.map((e) => e.message).join('\n'))
    return 1
  }
  for (const warning of compiled.warnings) console.error(`${file}:${warning.line}: warning: ${warning.message}`)
  if (target) {
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, compiled.code)
    console.error(`wrote ${target}`)
  } else process.stdout.write(compiled.code)
  return 0
}

async function execute(notebook: string, values: Values): Promise<number> {
  const dir = text(values, 'dir') ?? path.join('results', 'adhoc', path.basename(notebook).replace(/\.ipynb$/, ''))
  const configured = ExecutionSettingsSchema.parse(values.sandbox ? { sandbox: values.sandbox } : {})
  const report = await executeNotebook({
    notebook,
    trialDir: dir,
    totalTimeoutSeconds: Number(text(values, 'timeout') ?? 600),
    settings: { ...configured, sandbox: effectiveSandbox(configured.sandbox) },
    onWarning: (warning) => console.error(`WARNING: ${warning}`),
  })
  const verdict = assessExecution(report)
  const pass = verdict.status === 'pass'
  // everything below comes from the notebook: print it terminal-safe (colour only)
  console.log(terminalSafe(`${pass ? 'PASS' : 'FAIL'} ${verdict.message}`))
  if (report.probe.status === 'ok') {
    for (const s of report.probe.signals) {
      console.log(
        `  signal ${s.source}${s.monitor ? ` (${s.monitor})` : ''}: shape ${JSON.stringify(s.shape)}, dt ${s.dt_ms} ms`,
      )
    }
  }
  console.log(`  isolated: ${report.isolated}; executed notebook and report in ${dir}`)
  return pass ? 0 : 1
}

async function runBenchmarks(given: string[]): Promise<number> {
  const { parseCLI, startVitest } = await import('vitest/node')
  // --suite is ours (a named subset of the goals, from vitest.config.ts); the rest is Vitest's
  const at = given.indexOf('--suite')
  const args = [...given]
  if (at >= 0) {
    const name = args[at + 1]
    if (!name || name.startsWith('-'))
      throw new UsageError('--suite needs a suite name (see `suites:` in vitest.config.ts)')
    chooseForRun({ suite: name })
    args.splice(at, 2)
  }
  const { filter, options } = parseCLI(['vitest', 'run', ...args])
  const vitest = await startVitest('test', filter, { ...options, run: true, watch: false })
  const files = vitest.state.getFiles()
  const broken = files.filter(
    (file) => file.result?.state === 'fail' && (file.result.errors?.length ?? 0) > 0 && file.tasks.length === 0,
  )
  const unhandled = vitest.state.getUnhandledErrors()
  const run = existingRun(vitest)
  // the Δ reporter already printed the judge note with its tables: say it once
  const reported = vitest.config.reporters.some(
    (r) => typeof r === 'object' && !Array.isArray(r) && r.constructor?.name === 'AblationReporter',
  )
  await vitest.close()
  if (!run) {
    console.error(
      '\nskilldelta: no skilldelta run was configured (is vitest.config.ts made with defineSkilldeltaConfig?)',
    )
    return 1
  }

  const { records, unfinished } = await readRunView(run.resultsDir, run.runId)
  const where = path.relative(process.cwd(), path.join(run.resultsDir, run.runId))
  console.log(`\nskilldelta run ${run.runId}: ${records.length} trial records in ${where}\n`)
  if (records.length || unfinished.length) console.log(formatSummary(summariseRecords(records, unfinished)))
  const judgeNote = reported ? undefined : judgeSkipNote(records)
  if (judgeNote) console.log(`\n${judgeNote}`)
  const infra = records.filter((r) => r.status === 'infra_error')
  const problems = [
    broken.length ? `${broken.length} goal file(s) failed to collect: ${broken.map((f) => f.name).join(', ')}` : '',
    unhandled.length ? `${unhandled.length} unhandled error(s)` : '',
    infra.length
      ? `${infra.length} trial(s) hit infrastructure errors (provider, sandbox): ${infra[0]?.error ?? ''}`
      : '',
    unfinished.length ? `${unfinished.length} trial(s) started but never finished` : '',
    files.length === 0 ? 'no goal files ran' : '',
  ].filter(Boolean)
  for (const problem of problems) console.error(`\nskilldelta: ${problem}`)
  return problems.length ? 1 : 0
}

/** The oracle bench: the `oracles` project of the project's own config (its goals, its TVB). */
async function runOracles(given: string[]): Promise<number> {
  // the suite's own files first: a control with no target is named before any notebook runs
  const problems = loadCatalog(await settingsFor('oracles', {})).problems
  for (const problem of problems) console.error(terminalSafe(problem))
  chooseForRun({ oracles: given.includes('--fast') ? 'fast' : 'all' })
  const args = given.filter((arg) => arg !== '--fast')
  const { parseCLI, startVitest } = await import('vitest/node')
  const { filter, options } = parseCLI(['vitest', 'run', '--project', ORACLES_PROJECT, ...args])
  const vitest = await startVitest('test', filter, { ...options, run: true, watch: false })
  const failed = vitest.state.getFiles().some((file) => file.result?.state === 'fail')
  const unhandled = vitest.state.getUnhandledErrors().length
  await vitest.close()
  return failed || unhandled ? 1 : 0
}

/** A run's records; a run with none is a usage error (wrong id or directory). */
async function loadRun(
  command: string,
  values: Values,
  flag = 'run',
): Promise<{ results: string; run: string } & RunRecords<TrialView>> {
  return loadRunWith(readRunView, command, values, flag)
}

/** A run's whole records (the judge commands read the judge's digests); see loadRun. */
async function loadWholeRun(
  command: string,
  values: Values,
  flag = 'run',
): Promise<{ results: string; run: string } & RunRecords> {
  return loadRunWith(readRun, command, values, flag)
}

async function loadRunWith<T extends TrialView>(
  read: (results: string, run: string) => Promise<RunRecords<T>>,
  command: string,
  values: Values,
  flag: string,
): Promise<{ results: string; run: string } & RunRecords<T>> {
  const run = text(values, flag)
  if (!run)
    throw new UsageError(`skilldelta ${command}: --${flag} <run id> is required (the directory name under results/)`)
  const results = path.resolve(text(values, 'results') ?? 'results')
  const loaded = await read(results, run)
  if (loaded.records.length === 0)
    throw new UsageError(`skilldelta ${command}: no records in ${recordsFile(results, run)}`)
  return { results, run, ...loaded }
}

async function analyze(values: Values): Promise<number> {
  const { results, run, records, unfinished } = await loadWholeRun('analyze', values)
  const root = process.cwd()
  const failures = await analyzeFailures(records, { runId: run, root, unfinished: unfinished.length })
  const dir = path.join(results, run)
  await writeFailures(dir, failures, root)
  // cluster titles and examples quote notebooks: print them terminal-safe
  console.log(terminalSafe(formatFailuresMarkdown(failures, dir, root).split('\n## ')[0]!))
  console.log(`\nwrote ${path.relative(root, path.join(dir, 'failures.md'))} and failures.json`)
  return 0
}

async function improve(values: Values): Promise<number> {
  const list = (name: string): string[] =>
    (Array.isArray(values[name]) ? (values[name] as string[]) : [])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter(Boolean)
  const number = (name: string): number | undefined => {
    const raw = text(values, name)
    if (raw === undefined) return undefined
    const value = Number(raw)
    if (!Number.isFinite(value)) throw new UsageError(`skilldelta improve: --${name} must be a number (got "${raw}")`)
    return value
  }
  const teacher = text(values, 'teacher')
  if (!teacher) throw new UsageError('skilldelta improve: --teacher <model> is required', true)
  const settings = await settingsFor('improve', values)
  const optional = (name: string, value: string | number | undefined) => (value === undefined ? {} : { [name]: value })
  try {
    return await improveCommand(settings, {
      teacher,
      students: list('student'),
      train: Array.isArray(values.train) ? (values.train as string[]) : [],
      holdout: Array.isArray(values.holdout) ? (values.holdout as string[]) : [],
      budgets: Array.isArray(values.budget) ? (values.budget as string[]) : [],
      ...optional('samples', number('samples')),
      ...optional('patience', number('patience')),
      ...optional('target', number('target')),
      ...optional('revalidate', number('revalidate')),
      ...optional('margin', number('margin')),
      ...optional('skillTokens', number('skill-tokens')),
      ...optional('id', text(values, 'id')),
      ...optional('skills', text(values, 'skills')),
      ...optional('offer', text(values, 'offer')),
      ...optional('metric', text(values, 'metric')),
      ...optional('final', text(values, 'final')),
      ...optional('config', text(values, 'config')),
    })
  } catch (error) {
    if (error instanceof ImproveInputError) throw new UsageError(`skilldelta improve: ${error.message}`)
    // an evaluation that could not complete, a teacher that is down: the study stops; the same command resumes
    console.error(terminalSafe(`skilldelta improve: ${(error as Error).message}`))
    return 1
  }
}

async function merge(sources: string[], values: Values): Promise<number> {
  const run = text(values, 'run')
  if (!run) throw new UsageError('skilldelta merge: --run <run id> is required')
  if (sources.length === 0) throw new UsageError('skilldelta merge: name the shard directories or records.jsonl files')
  // a shard directory holds results/<run id>/records.jsonl, <run id>/records.jsonl, or records.jsonl
  const files = sources.map((source) => {
    const candidates = [
      source,
      path.join(source, RECORDS_FILE),
      path.join(source, run, RECORDS_FILE),
      path.join(source, 'results', run, RECORDS_FILE),
    ]
    const found = candidates.find((file) => statSync(file, { throwIfNoEntry: false })?.isFile())
    if (!found) throw new UsageError(`skilldelta merge: no ${RECORDS_FILE} for run ${run} in ${source}`)
    return found
  })
  const target = recordsFile(path.resolve(text(values, 'results') ?? 'results'), run)
  if (files.some((file) => path.resolve(file) === target)) {
    throw new UsageError(`skilldelta merge: ${target} is one of the sources; merge into another --results directory`)
  }
  const merged = await mergeRecordFiles(files, target)
  const unfinished = merged.unfinished.length ? `, ${merged.unfinished.length} unfinished` : ''
  const into = path.relative(process.cwd(), target)
  console.log(`merged ${files.length} file(s) into ${into}: ${merged.records.length} trials${unfinished}`)
  return 0
}

async function baseline(values: Values): Promise<number> {
  const { results, run, records } = await loadRun('baseline update', values)
  const metric = text(values, 'metric') ?? 'objective'
  if (!(metric in METRICS)) {
    throw new UsageError(
      `skilldelta baseline update: --metric must be one of ${Object.keys(METRICS).join(', ')} (got "${metric}")`,
    )
  }
  const file = path.resolve(text(values, 'out') ?? path.join(results, 'baseline.json'))
  await writeBaseline(file, baselineFrom(records, run, metric as MetricName))
  console.log(`wrote ${path.relative(process.cwd(), file)} from ${records.length} trials of run ${run}`)
  return 0
}

async function gateCommand(values: Values): Promise<number> {
  const { results, run, records } = await loadRun('gate', values)
  const margin = text(values, 'margin') === undefined ? DEFAULT_MARGIN : Number(text(values, 'margin'))
  if (!Number.isFinite(margin) || margin < 0) {
    throw new UsageError(`skilldelta gate: --margin must be a non-negative number (got "${text(values, 'margin')}")`)
  }
  const file = path.resolve(text(values, 'baseline') ?? path.join(results, 'baseline.json'))
  const { rows, regressions } = gate(records, await readBaseline(file), margin)
  const table = formatGate(rows, margin)
  await writeFile(path.join(results, run, 'gate.md'), `${table}\n`)
  console.log(table)
  for (const r of regressions) console.error(`REGRESSION ${r.model} / ${r.condition}: ${r.reason}`)
  return regressions.length ? 1 : 0
}

/** A number option within bounds, or a usage error naming it. */
function numberOption(values: Values, name: string, check: (x: number) => boolean, what: string): number | undefined {
  const raw = text(values, name)
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || !check(value))
    throw new UsageError(`skilldelta plan: --${name} must be ${what} (got "${raw}")`)
  return value
}

async function plan(values: Values): Promise<number> {
  const effect = numberOption(values, 'effect', (x) => x > 0, 'a positive number')
  if (effect === undefined) throw new UsageError('skilldelta plan: --effect <Δ> is required (e.g. --effect 0.1)')
  const sd = numberOption(values, 'sd', (x) => x >= 0, 'a non-negative number')
  const icc = numberOption(values, 'icc', (x) => x >= 0 && x <= 1, 'between 0 and 1')
  const power = numberOption(values, 'power', (x) => x > 0 && x < 1, 'between 0 and 1') ?? 0.8
  const samples = numberOption(values, 'samples', (x) => Number.isInteger(x) && x >= 1 && x <= 50, 'an integer 1–50')
  const options = { effect, power, maxSamples: samples ?? 5 }
  const from = text(values, 'from')
  if (!from && sd === undefined)
    throw new UsageError('skilldelta plan: give a pilot run (--from <run id>) or a stated --sd <σ>')
  let report: PlanReport
  if (from) {
    const { records } = await loadRun('plan', values, 'from')
    const metric = text(values, 'metric') ?? 'objective'
    if (!(metric in METRICS))
      throw new UsageError(`skilldelta plan: --metric must be one of ${Object.keys(METRICS).join(', ')}`)
    const ablation = buildAblation(records, { metric: METRICS[metric as MetricName] })
    report = {
      effect,
      power,
      from: `run ${from}`,
      metric: ablation.metric,
      rows: pilotSources(ablation, icc).map((source) => planRow(source, options)),
      matrixCells: ablation.rows.length,
    }
  } else report = { effect, power, from: 'a stated sd', rows: [planRow(statedSource(sd!, icc), options)] }
  console.log(formatPlan(report))
  return 0
}

async function judgeQuality(action: string | undefined, values: Values): Promise<number> {
  const judged = async (flag: string) => {
    const { run, records } = await loadWholeRun(`judge ${action}`, values, flag)
    if (!records.some((r) => r.judge?.status === 'ok')) {
      throw new UsageError(
        `skilldelta judge ${action}: run ${run} has no judged trials (run it with a judge: SKILLDELTA_JUDGE=<model>)`,
      )
    }
    return records
  }
  if (action === 'calibrate') {
    const good = text(values, 'good') ?? 'fixture-oracle'
    const bad = text(values, 'bad') ?? 'fixture-broken'
    const result = calibration(await judged('run'), good, bad)
    console.log(formatCalibration(result, good, bad))
    return result.paired === 0 ? 2 : 0
  }
  if (action === 'agree') {
    console.log(formatAgreement(agreement(await judged('run'), await judged('with'))))
    return 0
  }
  throw new UsageError('skilldelta judge: use "judge calibrate" or "judge agree"')
}

const OPTIONS = {
  out: { type: 'string' },
  dir: { type: 'string' },
  timeout: { type: 'string' },
  sandbox: { type: 'string' },
  run: { type: 'string' },
  results: { type: 'string' },
  baseline: { type: 'string' },
  margin: { type: 'string' },
  metric: { type: 'string' },
  with: { type: 'string' },
  good: { type: 'string' },
  bad: { type: 'string' },
  effect: { type: 'string' },
  from: { type: 'string' },
  sd: { type: 'string' },
  icc: { type: 'string' },
  power: { type: 'string' },
  samples: { type: 'string' },
  json: { type: 'boolean' },
  check: { type: 'boolean' },
  'no-run': { type: 'boolean' },
  markdown: { type: 'boolean' },
  model: { type: 'string', multiple: true },
  condition: { type: 'string' },
  set: { type: 'string' },
  config: { type: 'string' },
  teacher: { type: 'string' },
  student: { type: 'string', multiple: true },
  train: { type: 'string', multiple: true },
  holdout: { type: 'string', multiple: true },
  budget: { type: 'string', multiple: true },
  patience: { type: 'string' },
  target: { type: 'string' },
  revalidate: { type: 'string' },
  'skill-tokens': { type: 'string' },
  id: { type: 'string' },
  skills: { type: 'string' },
  offer: { type: 'string' },
  final: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Which options each command takes: any other is a usage error (exit 2), not silently ignored. */
const ACCEPTS: Record<string, (keyof typeof OPTIONS)[]> = {
  merge: ['run', 'results'],
  analyze: ['run', 'results'],
  improve: [
    'teacher',
    'student',
    'train',
    'holdout',
    'budget',
    'samples',
    'patience',
    'target',
    'revalidate',
    'margin',
    'skill-tokens',
    'id',
    'skills',
    'offer',
    'metric',
    'final',
    'config',
  ],
  gate: ['run', 'results', 'baseline', 'margin'],
  judge: ['run', 'with', 'good', 'bad', 'results'],
  baseline: ['run', 'results', 'out', 'metric'],
  plan: ['effect', 'from', 'sd', 'icc', 'metric', 'power', 'samples', 'results'],
  compile: ['out', 'config'],
  execute: ['dir', 'timeout', 'sandbox'],
  goals: ['json', 'config'],
  fixtures: ['check', 'config'],
  lint: ['no-run', 'config'],
  suite: ['markdown', 'config'],
  skills: ['json', 'config'],
  'skills select': ['json', 'config', 'model', 'condition'],
  'skills eval': ['json', 'config', 'model', 'set'],
}

/** Project settings for the commands that read the project (its vitest.config.ts, else the defaults). */
async function settingsFor(command: string, values: Values): Promise<Settings> {
  try {
    return await projectSettings(process.cwd(), text(values, 'config'))
  } catch (error) {
    throw new UsageError(`skilldelta ${command}: ${(error as Error).message}`)
  }
}

async function skills(rest: string[], values: Values): Promise<number> {
  const [action, file, ...extra] = rest
  const json = values.json === true
  const models = Array.isArray(values.model) ? values.model : []
  const run = async <T>(name: string, body: (settings: Settings) => T): Promise<T> => {
    const settings = await settingsFor(name, values)
    try {
      return body(settings)
    } catch (error) {
      console.error(`skilldelta ${name}: ${(error as Error).message}`)
      return 1 as T
    }
  }
  if (action === undefined) return run('skills', (settings) => listSkills(settings, json))
  if (action === 'select') {
    if (!file) throw new UsageError('skilldelta skills select: name a GOAL.md file', true)
    if (extra.length) throw new UsageError(`skilldelta skills select: unexpected argument "${extra[0]}"`, true)
    if (models.length > 1) throw new UsageError('skilldelta skills select: give one --model', true)
    const condition = text(values, 'condition')
    return run('skills select', (settings) =>
      selectCommand(settings, file, {
        ...(models[0] ? { model: models[0] } : {}),
        ...(condition ? { condition } : {}),
        json,
      }),
    )
  }
  if (action === 'eval') {
    if (file) throw new UsageError(`skilldelta skills eval: unexpected argument "${file}"`, true)
    const set = text(values, 'set')
    return run('skills eval', (settings) => evalCommand(settings, { ...(set ? { set } : {}), models, json }).code)
  }
  throw new UsageError(`skilldelta skills: unknown action "${action}" (use: skills, skills select, skills eval)`, true)
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'run') return runBenchmarks(argv.slice(1))
  if (argv[0] === 'oracles') return runOracles(argv.slice(1))
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
  } catch (error) {
    throw new UsageError((error as Error).message, true)
  }
  const { positionals, values } = parsed
  const [command, ...rest] = positionals
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const key = command === 'skills' && (rest[0] === 'select' || rest[0] === 'eval') ? `skills ${rest[0]}` : command
  const accepted = key ? ACCEPTS[key] : undefined
  const given = (Object.keys(values) as (keyof typeof OPTIONS)[]).filter((name) => values[name] !== undefined)
  const stray = accepted ? given.filter((name) => !accepted.includes(name)) : []
  if (stray.length) {
    throw new UsageError(`skilldelta ${key}: unknown option --${stray[0]} for this command`, true)
  }
  switch (command) {
    case 'merge':
      return merge(rest, values)
    case 'improve':
      if (rest.length) throw new UsageError(`skilldelta improve: unexpected argument "${rest[0]}"`, true)
      return improve(values)
    case 'analyze':
      if (rest.length) throw new UsageError(`skilldelta analyze: unexpected argument "${rest[0]}"`, true)
      return analyze(values)
    case 'gate':
      return gateCommand(values)
    case 'judge':
      return judgeQuality(rest[0], values)
    case 'plan':
      return plan(values)
    case 'baseline':
      if (rest[0] !== 'update') throw new UsageError('skilldelta baseline: the only action is "baseline update"')
      return baseline(values)
    case 'goals':
      if (rest.length) throw new UsageError(`skilldelta goals: unexpected argument "${rest[0]}"`, true)
      return goalsCommand(await settingsFor('goals', values), values.json === true)
    case 'skills':
      return skills(rest, values)
    case 'lint':
      return lintCommand(await settingsFor('lint', values), values['no-run'] !== true)
    case 'fixtures':
      return fixturesCommand(await settingsFor('fixtures', values), values.check === true)
    case 'suite':
      return suiteCommand(await settingsFor('suite', values), values.markdown === true)
    case 'compile':
    case 'execute': {
      const file = rest[0]
      if (!file) throw new UsageError(`skilldelta ${command}: missing file argument`, true)
      if (rest.length > 1) throw new UsageError(`skilldelta ${command}: unexpected argument "${rest[1]}"`, true)
      return command === 'compile'
        ? compile(file, text(values, 'out'), await settingsFor('compile', values))
        : execute(file, values)
    }
    case undefined:
      throw new UsageError('skilldelta: missing command', true)
    default:
      throw new UsageError(`skilldelta: unknown command "${command}"`, true)
  }
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof UsageError)) throw error
  console.error(error.showUsage ? `${error.message}\n\n${USAGE}` : error.message)
  process.exitCode = 2
}
