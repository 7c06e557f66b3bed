// How long the reports take on a large study: `npm run bench:report`.
// Writes a synthetic run of 100 000 trial records (1 000 goals × 5 models × 3 conditions × 7 samples
// (20 of them left unfinished), each trial's "planned" and "finished" lines interleaved as a
// concurrent run writes them, with judge verdicts), then runs each report in its own Node process, as
// the CLI and the reporter do: read records.jsonl, build, format, write. Printed per report: wall time
// (after module load; the fastest of BENCH_REPEAT runs, 3 by default), CPU time and the process's peak
// resident memory. Figures, not assertions: the README quotes them. BENCH_GOALS / BENCH_SAMPLES change
// the study's size.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { buildReport, formatMarkdown, formatTerminal } from '../src/harness/report/ablation.ts'
import { baselineFrom, formatGate, gate, readBaseline, writeBaseline } from '../src/harness/report/gate.ts'
import { readAblationReport } from '../src/harness/report/schema.ts'
import { formatSummary, judgeSkipNote, summariseRecords } from '../src/harness/report/summary.ts'
import { terminalTable } from '../src/harness/report/table.ts'
import { readRunView, recordsFile } from '../src/harness/results/store.ts'
import { writeSyntheticRun } from '../test/synthetic-records.ts'

const RUN = 'synthetic'
const CONDITIONS = ['zero_shot', 'with_skills', 'skills_on_demand']
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3)

/** One report, start to finish, as its command runs it. */
const REPORTS: Record<string, (results: string) => Promise<unknown>> = {
  // the Δ reporter at the end of a run: every metric's tables, the per-goal grid, skill use → ablation.json → text
  async 'Δ tables + per-goal grid (reporter)'(results) {
    const { records, unfinished } = await readRunView(results, RUN)
    const json = path.join(path.dirname(recordsFile(results, RUN)), 'ablation.json')
    await writeFile(json, `${JSON.stringify(buildReport(records, { unfinished }), null, 2)}\n`)
    const report = readAblationReport(JSON.parse(await readFile(json, 'utf8')))
    const text = formatTerminal(report) + (judgeSkipNote(records) ?? '')
    await writeFile(path.join(path.dirname(json), 'ablation.md'), `${formatMarkdown(report)}\n`)
    return text.length
  },
  // skilldelta run's closing summary
  async 'run summary (skilldelta run)'(results) {
    const { records, unfinished } = await readRunView(results, RUN)
    return formatSummary(summariseRecords(records, unfinished)).length
  },
  async 'baseline (skilldelta baseline update)'(results) {
    const { records } = await readRunView(results, RUN)
    await writeBaseline(path.join(results, 'baseline.json'), baselineFrom(records, RUN))
  },
  async 'gate (skilldelta gate)'(results) {
    const { records } = await readRunView(results, RUN)
    const { rows } = gate(records, await readBaseline(path.join(results, 'baseline.json')))
    return formatGate(rows, 0.1).length
  },
}

const here = fileURLToPath(import.meta.url)

async function child(name: string, results: string): Promise<void> {
  const started = performance.now()
  const cpu = process.cpuUsage()
  await REPORTS[name]!(results)
  const ms = performance.now() - started
  const { user, system } = process.cpuUsage(cpu)
  // maxRSS is in KiB
  process.stdout.write(
    JSON.stringify({ ms, cpuMs: (user + system) / 1000, rssMiB: process.resourceUsage().maxRSS / 1024 }),
  )
}

async function main(): Promise<void> {
  const goals = Number(process.env.BENCH_GOALS ?? 1000)
  const samples = Number(process.env.BENCH_SAMPLES ?? 7)
  const results = mkdtempSync(path.join(tmpdir(), 'skilldelta-bench-report-'))
  try {
    const study = { goals, models: 5, conditions: CONDITIONS, samples, unfinished: 20, judge: true, runId: RUN }
    const started = performance.now()
    const trials = await writeSyntheticRun(results, study)
    const file = recordsFile(results, RUN)
    const { size } = statSync(file)
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(
      `${trials} trials (${goals} goals × 5 models × 3 conditions × ${samples} samples), ` +
        `records.jsonl ${(size / 2 ** 20).toFixed(0)} MiB, written in ${seconds} s\n`,
    )
    const rows: string[][] = [['report', 'records read', 'wall', 'CPU', 'peak memory (RSS)']]
    // the first report after the run reads every line of records.jsonl and leaves the index; the rest read the index
    const order = [Object.keys(REPORTS)[0]!, ...Object.keys(REPORTS)]
    for (const [i, name] of order.entries()) {
      // the fastest of a few runs: on a shared machine the others measure the neighbours
      let best: { ms: number; cpuMs: number; rssMiB: number } | undefined
      for (let r = 0; r < (i === 0 ? 1 : REPEAT); r++) {
        const { stdout } = await execa(process.execPath, [...process.execArgv, here, '--one', name, results])
        const measured = JSON.parse(stdout) as { ms: number; cpuMs: number; rssMiB: number }
        if (!best || measured.ms < best.ms) best = measured
      }
      const { ms, cpuMs, rssMiB } = best!
      const read = i === 0 ? 'records.jsonl, whole (builds the index)' : 'the index'
      rows.push([
        name,
        read,
        `${(ms / 1000).toFixed(2)} s`,
        `${(cpuMs / 1000).toFixed(2)} s`,
        `${rssMiB.toFixed(0)} MiB`,
      ])
    }
    console.log(terminalTable(rows))
    console.log(
      "\nwall: in the report process, after its modules loaded; CPU: that process's user + system time (every " +
        'thread: the garbage collector runs beside the script); memory: that process at its peak.',
    )
    console.log(
      `load average during the bench: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} (${availableParallelism()} cores)`,
    )
  } finally {
    rmSync(results, { recursive: true, force: true })
  }
}

const at = process.argv.indexOf('--one')
await (at >= 0 ? child(process.argv[at + 1]!, process.argv[at + 2]!) : main())
