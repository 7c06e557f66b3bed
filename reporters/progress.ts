import type { Reporter, TestCase, TestModule, TestSpecification, TestSuite, Vitest } from 'vitest/node'
import { existingRun } from '../src/harness/config/run.ts'

/**
 * Trial progress for long matrices: one line per finished trial cell (a describe block whose
 * tests share one trial), with done/total, throughput and an ETA. Totals come from collection,
 * so test-name and file filters are respected.
 */

export class ProgressReporter implements Reporter {
  private vitest: Vitest | undefined
  /** Cells per file and project: estimated when the run starts, exact once the file is collected. */
  private readonly cells = new Map<string, number>()
  private done = 0
  private started = 0
  private readonly pending = new Map<TestSuite | TestModule, number>()

  onInit(vitest: Vitest): void {
    // replaying merged shard reports is not progress: stay quiet
    if (!vitest.config.mergeReports) this.vitest = vitest
    this.started = Date.now()
  }

  private get total(): number {
    let sum = 0
    for (const count of this.cells.values()) sum += count
    return sum
  }

  onTestRunStart(specifications: readonly TestSpecification[]): void {
    const settings = this.vitest ? existingRun(this.vitest) : undefined
    const pattern = this.vitest?.config.testNamePattern
    const conditions = (settings?.conditions ?? []).filter((c) => !pattern || pattern.test(c.name)).length || 1
    for (const spec of specifications)
      this.cells.set(`${spec.project.name} ${spec.moduleId}`, conditions * (settings?.epochs ?? 1))
  }

  onTestModuleCollected(module: TestModule): void {
    let count = 0
    for (const suite of [module, ...module.children.allSuites()]) {
      const runnable = [...suite.children].filter(
        (child): child is TestCase =>
          child.type === 'test' && (child.options.mode === 'run' || child.options.mode === 'only'),
      )
      if (runnable.length === 0) continue
      this.pending.set(suite, runnable.length)
      count += 1
    }
    this.cells.set(`${module.project.name} ${module.moduleId}`, count)
  }

  onTestCaseResult(test: TestCase): void {
    const left = this.pending.get(test.parent)
    if (left === undefined) return
    if (left > 1) return void this.pending.set(test.parent, left - 1)
    this.pending.delete(test.parent)
    this.done += 1
    const minutes = (Date.now() - this.started) / 60_000
    const rate = this.done / Math.max(minutes, 1e-9)
    const eta = (this.total - this.done) / rate
    const cell = test.parent.type === 'suite' ? test.parent.fullName : test.module.moduleId
    const remaining = eta < 1 ? `${Math.round(eta * 60)} s` : `${eta.toFixed(1)} min`
    const where = `${test.project.name} › ${test.module.relativeModuleId} › ${cell}`
    this.vitest?.logger.log(
      `[skilldelta] ${this.done}/${this.total} trials · ${rate.toFixed(1)}/min · ETA ${remaining} · ${where}`,
    )
  }
}

export default ProgressReporter
