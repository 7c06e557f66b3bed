import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Reporter, Vitest } from 'vitest/node'
import { readEnv } from '../src/harness/config/env.ts'
import { existingRun } from '../src/harness/config/run.ts'
import { buildReport, formatMarkdown, formatTerminal, perGoalMarkdown } from '../src/harness/report/ablation.ts'
import { drawDeltaChart } from '../src/harness/report/chart.ts'
import { readRun, recordsFile } from '../src/harness/results/store.ts'

export interface AblationReporterOptions {
  /** Where run directories live (default: `results`, relative to the working directory). */
  resultsDir?: string
  /** The condition every Δ is measured against (default: `zero_shot`). */
  baseline?: string
}

/**
 * Root-level reporter (it sees every model project): at the end of a run it reads the run's
 * records.jsonl and prints the skill Δ ablation tables; writes ablation.md, ablation.json and
 * ablation.png beside it. Under `vitest --merge-reports` it reads the records of SKILLDELTA_RUN_ID
 * (merge the shards' records first with `skilldelta merge`).
 */
export class AblationReporter implements Reporter {
  private vitest: Vitest | undefined

  constructor(private readonly options: AblationReporterOptions = {}) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  async onTestRunEnd(): Promise<void> {
    const vitest = this.vitest
    if (!vitest) return
    const run = existingRun(vitest)
    const runId = run?.runId ?? readEnv().SKILLDELTA_RUN_ID
    if (!runId) return
    const resultsDir = run?.resultsDir ?? path.resolve(this.options.resultsDir ?? 'results')
    const { records, unfinished } = await readRun(resultsDir, runId)
    if (records.length === 0 && unfinished.length === 0) return
    const report = buildReport(records, this.options.baseline, unfinished)
    const trials = `${records.length} trials${unfinished.length ? `, ${unfinished.length} unfinished` : ''}`
    vitest.logger.log(`\nskill Δ — run ${runId} (${trials})\n\n${formatTerminal(report)}\n`)
    const dir = path.dirname(recordsFile(resultsDir, runId))
    const perGoal = `## Per goal (mean score, failures as 0)\n\n${perGoalMarkdown(records)}`
    await writeFile(path.join(dir, 'ablation.md'), `${formatMarkdown(report)}\n\n${perGoal}\n`)
    await writeFile(path.join(dir, 'ablation.json'), `${JSON.stringify(report, null, 2)}\n`)
    const chart = await drawDeltaChart(path.join(dir, 'ablation.json'), path.join(dir, 'ablation.png'))
    if (chart) vitest.logger.log(`chart: ${path.relative(process.cwd(), chart)}`)
  }
}

export default AblationReporter
