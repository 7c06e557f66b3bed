import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { RUNTIME_MODULE } from './harness/config/paths.ts'
import { ExecutionSettingsSchema, newRunId } from './harness/config/settings.ts'
import { compileGoal } from './harness/goal/compile.ts'
import { executeNotebook } from './harness/notebook/execute.ts'
import { METRICS, type MetricName } from './harness/report/ablation.ts'
import { baselineFrom, DEFAULT_MARGIN, formatGate, gate, readBaseline, writeBaseline } from './harness/report/gate.ts'
import { agreement, calibration, formatAgreement, formatCalibration } from './harness/report/judge-quality.ts'
import { readRecords, recordsFile } from './harness/store/records.ts'
import { formatSummary, readRunRecords, summariseRecords } from './harness/trial/summary.ts'
import { assessExecution } from './matchers/toExecute.ts'

const USAGE = `skilldelta — LLM skill benchmarks as Vitest suites

Usage:
  skilldelta run [vitest options and filters]
      Run the benchmark matrix (e.g. --project smollm2-135m -t zero_shot) and print a summary of the
      trial records. Exits 0 when the run completed — failed checks are results, not errors — and 1
      when it could not (collection errors, unhandled errors, infra_error trials).
  skilldelta baseline update --run <run id> [--results results] [--out results/baseline.json] [--metric objective|judge]
      Make the committed baseline from a run's records, scored by objective checks (default) or by
      the judge's mean; the gate scores new runs with the baseline's metric.
  skilldelta gate --run <run id> [--results results] [--baseline results/baseline.json] [--margin 0.1]
      Compare a run with the baseline, paired by (model, condition, goal). Exit 1 on a regression
      (the whole 95% CI of new − baseline below −margin); drops within the noise are reported.
  skilldelta judge calibrate --run <run id> [--good fixture-oracle] [--bad fixture-broken] [--results results]
      How well the run's judge separates known-good notebooks (oracles) from known-bad ones
      (negative controls) on the same goals. Make the run with e.g.
      SKILLDELTA_JUDGE=kimi-k2.6 npx vitest run --project fixture-oracle --project fixture-broken -t zero_shot
  skilldelta judge agree --run <run id> --with <run id> [--results results]
      Inter-judge agreement (quadratic-weighted Cohen's κ per dimension) between two runs of the same
      trials graded by different judges (the trial cache makes the second run judge-only).
  skilldelta compile <GOAL.md> [--out <file.test.ts | dir>]
      Print (or write) the Vitest test module a GOAL.md compiles to.
  skilldelta execute <notebook.ipynb> [--dir <trial dir>] [--timeout <s>] [--sandbox auto|bwrap|none]
      Run a notebook the way trials do (fresh kernel, sandbox, probe) and print the report.
`

function compile(file: string, out: string | undefined): number {
  const source = readFileSync(file, 'utf8')
  let target = out
  if (out && statSync(out, { throwIfNoEntry: false })?.isDirectory()) {
    target = path.join(out, path.basename(file).replace(/\.GOAL\.md$/i, '.test.ts'))
  }
  // a written file imports the runtime relative to itself, so it runs from where it is
  const runtimeImport = target
    ? path.relative(path.dirname(path.resolve(target)), RUNTIME_MODULE).replace(/^(?!\.)/, './')
    : RUNTIME_MODULE
  const compiled = compileGoal(source, path.resolve(file), { runtimeImport })
  if (compiled.error) {
    console.error(compiled.error.message)
    return 1
  }
  if (target) {
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, compiled.code)
    console.error(`wrote ${target}`)
  } else process.stdout.write(compiled.code)
  return 0
}

async function execute(
  notebook: string,
  values: { dir?: string | undefined; timeout?: string | undefined; sandbox?: string | undefined },
): Promise<number> {
  const dir = values.dir ?? path.join('results', 'adhoc', path.basename(notebook).replace(/\.ipynb$/, ''))
  const report = await executeNotebook({
    notebook,
    trialDir: dir,
    totalTimeoutSeconds: Number(values.timeout ?? 600),
    settings: ExecutionSettingsSchema.parse(values.sandbox ? { sandbox: values.sandbox } : {}),
    onWarning: (warning) => console.error(`WARNING: ${warning}`),
  })
  const { pass, message } = assessExecution(report)
  console.log(`${pass ? 'PASS' : 'FAIL'} ${message}`)
  if (report.probe.status === 'ok') {
    for (const s of report.probe.signals)
      console.log(
        `  signal ${s.source}${s.monitor ? ` (${s.monitor})` : ''}: shape ${JSON.stringify(s.shape)}, dt ${s.dt_ms} ms`,
      )
  }
  console.log(`  isolated: ${report.isolated}; executed notebook and report in ${dir}`)
  return pass ? 0 : 1
}

async function runBenchmarks(args: string[]): Promise<number> {
  const { parseCLI, startVitest } = await import('vitest/node')
  const runId = process.env.SKILLDELTA_RUN_ID ?? newRunId()
  process.env.SKILLDELTA_RUN_ID = runId // the config reads it: every project shares this run id
  const { filter, options } = parseCLI(['vitest', 'run', ...args])
  const vitest = await startVitest('test', filter, { ...options, run: true, watch: false })
  const files = vitest.state.getFiles()
  const broken = files.filter(
    (file) => file.result?.state === 'fail' && (file.result.errors?.length ?? 0) > 0 && file.tasks.length === 0,
  )
  const unhandled = vitest.state.getUnhandledErrors()
  const resultsDir = vitest.config.provide?.['skilldelta:settings']?.resultsDir ?? path.resolve('results')
  await vitest.close()

  const records = await readRunRecords(resultsDir, runId)
  console.log(
    `\nskilldelta run ${runId}: ${records.length} trial records in ${path.relative(process.cwd(), path.join(resultsDir, runId))}\n`,
  )
  if (records.length) console.log(formatSummary(summariseRecords(records)))
  const infra = records.filter((r) => r.status === 'infra_error')
  const problems = [
    broken.length ? `${broken.length} goal file(s) failed to collect: ${broken.map((f) => f.name).join(', ')}` : '',
    unhandled.length ? `${unhandled.length} unhandled error(s)` : '',
    infra.length
      ? `${infra.length} trial(s) hit infrastructure errors (provider, sandbox): ${infra[0]?.error ?? ''}`
      : '',
    files.length === 0 ? 'no goal files ran' : '',
  ].filter(Boolean)
  for (const problem of problems) console.error(`\nskilldelta: ${problem}`)
  return problems.length ? 1 : 0
}

async function baselineOrGate(
  command: 'baseline' | 'gate',
  values: {
    run?: string | undefined
    results?: string | undefined
    out?: string | undefined
    baseline?: string | undefined
    margin?: string | undefined
    metric?: string | undefined
  },
): Promise<number> {
  if (!values.run) {
    console.error(`skilldelta ${command}: --run <run id> is required (the directory name under results/)`)
    return 2
  }
  const results = path.resolve(values.results ?? 'results')
  const records = await readRecords(recordsFile(results, values.run))
  if (records.length === 0) {
    console.error(`skilldelta ${command}: no records in ${recordsFile(results, values.run)}`)
    return 2
  }
  const baselineFile = path.resolve(values.baseline ?? values.out ?? path.join(results, 'baseline.json'))
  if (command === 'baseline') {
    const metric = values.metric ?? 'objective'
    if (!(metric in METRICS)) {
      console.error(
        `skilldelta baseline update: --metric must be one of ${Object.keys(METRICS).join(', ')} (got "${metric}")`,
      )
      return 2
    }
    await writeBaseline(baselineFile, baselineFrom(records, values.run, metric as MetricName))
    console.log(
      `wrote ${path.relative(process.cwd(), baselineFile)} from ${records.length} trials of run ${values.run}`,
    )
    return 0
  }
  const margin = values.margin === undefined ? DEFAULT_MARGIN : Number(values.margin)
  if (!Number.isFinite(margin) || margin < 0) {
    console.error(`skilldelta gate: --margin must be a non-negative number (got "${values.margin}")`)
    return 2
  }
  const { rows, regressions } = gate(records, await readBaseline(baselineFile), margin)
  const table = formatGate(rows, margin)
  await writeFile(path.join(results, values.run, 'gate.md'), `${table}\n`)
  console.log(table)
  for (const r of regressions) console.error(`REGRESSION ${r.model} / ${r.condition}: ${r.reason}`)
  return regressions.length ? 1 : 0
}

async function judgeQuality(
  action: string | undefined,
  values: {
    run?: string | undefined
    with?: string | undefined
    results?: string | undefined
    good?: string | undefined
    bad?: string | undefined
  },
): Promise<number> {
  const results = path.resolve(values.results ?? 'results')
  const load = async (run: string | undefined, flag: string) => {
    if (!run)
      throw new UsageError(
        `skilldelta judge ${action}: ${flag} <run id> is required (the directory name under results/)`,
      )
    const records = await readRecords(recordsFile(results, run))
    if (!records.some((r) => r.judge?.status === 'ok')) {
      throw new UsageError(
        `skilldelta judge ${action}: run ${run} has no judged trials (run it with a judge: SKILLDELTA_JUDGE=<model>)`,
      )
    }
    return records
  }
  try {
    if (action === 'calibrate') {
      const good = values.good ?? 'fixture-oracle'
      const bad = values.bad ?? 'fixture-broken'
      const result = calibration(await load(values.run, '--run'), good, bad)
      console.log(formatCalibration(result, good, bad))
      return result.paired === 0 ? 2 : 0
    }
    if (action === 'agree') {
      console.log(formatAgreement(agreement(await load(values.run, '--run'), await load(values.with, '--with'))))
      return 0
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message)
      return 2
    }
    throw error
  }
  console.error(`skilldelta judge: use "judge calibrate" or "judge agree"\n\n${USAGE}`)
  return 2
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'run') return runBenchmarks(argv.slice(1))
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
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
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [command, file] = positionals
  if (command === 'gate') return baselineOrGate('gate', values)
  if (command === 'judge') return judgeQuality(file, values)
  if (command === 'baseline' && file === 'update') return baselineOrGate('baseline', values)
  if (values.help || !command) {
    console.log(USAGE)
    return command ? 0 : 2
  }
  if (!file) {
    console.error(`skilldelta ${command}: missing file argument\n\n${USAGE}`)
    return 2
  }
  if (command === 'compile') return compile(file, values.out)
  if (command === 'execute') return execute(file, values)
  console.error(`unknown command "${command}"\n\n${USAGE}`)
  return 2
}

process.exitCode = await main(process.argv.slice(2))
