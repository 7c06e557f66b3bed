import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Reporter, TestModule, Vitest } from 'vitest/node'
import { existingRun } from '../src/harness/config/run.ts'
import { oracleResultsDir, type NotebookRow } from '../src/harness/oracles/plan.ts'
import { formatOracleTable } from '../src/harness/oracles/table.ts'

/**
 * The oracle bench's table: goal × check, one row per notebook (the oracle, then its controls).
 * Also written as oracles.json (rows with wall times, for `skilldelta suite`) next to the records.
 */
export class OracleTableReporter implements Reporter {
  private vitest: Vitest | undefined

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  async onTestRunEnd(modules: readonly TestModule[]): Promise<void> {
    const rows: NotebookRow[] = []
    for (const module of modules)
      for (const test of module.children.allTests()) {
        const row = test.meta().oracle
        if (row) rows.push(row)
      }
    if (rows.length === 0) return
    const order = (r: NotebookRow) => `${r.goal}\u0000${r.role === 'oracle' ? '' : r.notebook}`
    rows.sort((a, b) => order(a).localeCompare(order(b)))
    console.log(`\n${formatOracleTable(rows)}`)
    const run = this.vitest ? existingRun(this.vitest) : undefined
    if (!run) return
    const dir = path.join(oracleResultsDir(run.resultsDir), run.runId)
    await mkdir(dir, { recursive: true })
    await writeFile(path.join(dir, 'oracles.json'), `${JSON.stringify({ runId: run.runId, rows }, null, 2)}\n`)
    console.log(`rows written to ${path.relative(process.cwd(), path.join(dir, 'oracles.json'))}`)
  }
}
