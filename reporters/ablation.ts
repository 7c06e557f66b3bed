import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Reporter, Vitest } from 'vitest/node'
import { readEnv } from '../src/harness/config/env.ts'
import { existingRun } from '../src/harness/config/run.ts'
import { buildReport, formatMarkdown, formatTerminal } from '../src/harness/report/ablation.ts'
import { ChartDrawer } from '../src/harness/report/chart.ts'
import { readAblationReport } from '../src/harness/report/schema.ts'
import { judgeSkipNote } from '../src/harness/report/summary.ts'
import { indexRun, readRunView, recordsFile } from '../src/harness/results/store.ts'

export interface AblationReporterOptions {
  /** Where run directories live (default: `results`, relative to the working directory). */
  resultsDir?: string
  /** The condition every Δ is measured against (default: `zero_shot`). */
  baseline?: string
  /** Reference models of the headline table (default: the largest model by params in the run). */
  reference?: string[]
  /** Non-inferiority margin δ of the headline verdicts, as a fraction of the score's scale (default 0.1). */
  margin?: number
}

/**
 * Root-level reporter (it sees every model project): at the end of a run it reads the run's
 * records.jsonl, writes ablation.json, and from that file alone prints the tables (the headline
 * first) and writes ablation.md, ablation.png (Δ per model and condition) and ablation-size.png
 * (score against model size). Under `vitest --merge-reports` it reads the records of
 * SKILLDELTA_RUN_ID (merge the shards' records first with `skilldelta merge`).
 */
export class AblationReporter implements Reporter {
  private vitest: Vitest | undefined

  constructor(private readonly options: AblationReporterOptions = {}) {}

  /** Index updates made while the run goes on, one after the other. */
  private indexing: Promise<unknown> = Promise.resolve()

  /** Started with the run, so drawing at its end does not wait for Python's imports. */
  private charts: ChartDrawer | undefined

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  onTestRunStart(): void {
    this.charts?.close()
    this.charts = new ChartDrawer()
  }

  /** The run's records.jsonl and where it lives, once the run is known. */
  private where(): { runId: string; resultsDir: string } | undefined {
    if (!this.vitest) return undefined
    const run = existingRun(this.vitest)
    const runId = run?.runId ?? readEnv().SKILLDELTA_RUN_ID
    if (!runId) return undefined
    return { runId, resultsDir: run?.resultsDir ?? path.resolve(this.options.resultsDir ?? 'results') }
  }

  // each finished goal file's lines are indexed as the run goes, so the tables at the end read the index
  onTestModuleEnd(): void {
    const where = this.where()
    if (where) this.indexing = this.indexing.then(() => indexRun(where.resultsDir, where.runId)).catch(() => undefined)
  }

  async onTestRunEnd(): Promise<void> {
    const charts = this.charts
    this.charts = undefined
    try {
      await this.report(charts)
    } finally {
      charts?.close()
    }
  }

  /** `charts`: the drawer started with the run, if one was; otherwise one starts when there is something to draw. */
  private async report(charts: ChartDrawer | undefined): Promise<void> {
    const vitest = this.vitest
    const where = this.where()
    if (!vitest || !where) return
    await this.indexing
    const { runId, resultsDir } = where
    const { records, unfinished } = await readRunView(resultsDir, runId)
    if (records.length === 0 && unfinished.length === 0) return
    const dir = path.dirname(recordsFile(resultsDir, runId))
    const json = path.join(dir, 'ablation.json')
    await writeFile(
      json,
      `${JSON.stringify(
        buildReport(records, {
          unfinished,
          ...(this.options.baseline ? { baseline: this.options.baseline } : {}),
          ...(this.options.reference ? { reference: this.options.reference } : {}),
          ...(this.options.margin ? { margin: this.options.margin } : {}),
        }),
        null,
        2,
      )}\n`,
    )
    // everything shown is made from ablation.json alone
    const report = readAblationReport(JSON.parse(await readFile(json, 'utf8')))
    const trials = `${records.length} trials${unfinished.length ? `, ${unfinished.length} unfinished` : ''}`
    vitest.logger.log(`\nskill Δ — run ${runId} (${trials})\n\n${formatTerminal(report)}\n`)
    const judgeNote = judgeSkipNote(records)
    if (judgeNote) vitest.logger.log(`${judgeNote}\n`)
    await writeFile(path.join(dir, 'ablation.md'), `${formatMarkdown(report)}\n`)
    const drawn = await (charts ?? new ChartDrawer()).draw(json, {
      delta: path.join(dir, 'ablation.png'),
      size: path.join(dir, 'ablation-size.png'),
    })
    if (drawn.length) vitest.logger.log(`charts: ${drawn.map((c) => path.relative(process.cwd(), c)).join(', ')}`)
  }
}

export default AblationReporter
