import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Reporter, Vitest } from 'vitest/node'
import { buildReport, formatMarkdown, formatTerminal, perGoalMarkdown } from '../src/harness/report/ablation.ts'
import { drawDeltaChart } from '../src/harness/report/chart.ts'
import '../src/harness/runtime/provided.ts'
import { readRecords, recordsFile } from '../src/harness/store/records.ts'

/**
 * Root-level reporter (it sees every model project): at the end of a run, reads the run's
 * records.jsonl and prints the skill Δ ablation table; writes ablation.md and ablation.json beside it.
 */
export class AblationReporter implements Reporter {
  private vitest: Vitest | undefined

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  async onTestRunEnd(): Promise<void> {
    const settings = this.vitest?.config.provide?.['skilldelta:settings']
    if (!settings) return
    const file = recordsFile(settings.resultsDir, settings.runId)
    const records = await readRecords(file)
    if (records.length === 0) return
    const ablation = buildReport(records)
    this.vitest?.logger.log(
      `\nskill Δ — run ${settings.runId} (${records.length} trials)\n\n${formatTerminal(ablation)}\n`,
    )
    const dir = path.dirname(file)
    await writeFile(
      path.join(dir, 'ablation.md'),
      `${formatMarkdown(ablation)}\n\n## Per goal (mean score, failures as 0)\n\n${perGoalMarkdown(records)}\n`,
    )
    await writeFile(path.join(dir, 'ablation.json'), `${JSON.stringify(ablation, null, 2)}\n`)
    const chart = await drawDeltaChart(path.join(dir, 'ablation.json'), path.join(dir, 'ablation.png'))
    if (chart) this.vitest?.logger.log(`chart: ${path.relative(process.cwd(), chart)}`)
  }
}

export default AblationReporter
