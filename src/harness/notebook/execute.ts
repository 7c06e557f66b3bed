import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { executionBudget } from '../config/limits.ts'
import { harnessPython } from '../config/paths.ts'
import { ExecutionSettingsSchema } from '../config/settings.ts'
import { removeOwnedTempDir } from '../util/temp-dirs.ts'
import { harvest } from './harvest.ts'
import { claimKernel, KernelAhead, MAX_MESSAGE_BYTES, releaseCgroups, returnRunner } from './kernels.ts'
import { ProbeReportSchema, RunnerReportSchema, type ExecutionReport, type RunnerReport } from './report.ts'
import { UNISOLATED_WARNING } from './sandbox.ts'

const ExecuteOptionsSchema = z
  .object({
    /** The notebook to run (.ipynb). It is copied into the trial directory. */
    notebook: z.string().min(1),
    /** The harness's directory for this execution: executed notebook, report, signals. */
    trialDir: z.string().min(1),
    totalTimeoutSeconds: z.number().positive().default(600),
    probe: z.boolean().default(true),
    /** Named results the goal's checks read from the notebook's namespace (variables holding numbers). */
    results: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)).default([]),
    settings: ExecutionSettingsSchema.default(ExecutionSettingsSchema.parse({})),
    python: z.string().optional(),
    signal: z.instanceof(AbortSignal).optional(),
    /** The kernel announced for this notebook (startKernelAhead), started while the notebook was being written. */
    kernel: z.instanceof(KernelAhead).optional(),
    /** Called with a warning when isolation is off (every execution: it is never silently off). */
    onWarning: z
      .custom<(message: string) => void>((value) => typeof value === 'function', 'onWarning must be a function')
      .optional(),
  })
  .strict()
export type ExecuteOptions = z.input<typeof ExecuteOptionsSchema>

/** What the runner may receive and keep from a kernel (see python/skilldelta_py/kernel_client.py). */
const OUTPUT_LIMITS = {
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxCellStreamChars: 200_000,
  maxNotebookOutputBytes: 20_000_000,
  maxDepth: 16,
}
const PROBE_LIMITS = { maxRuns: 64, chunkValues: 1_000_000, maxResultValues: 1_000_000, timeoutSec: 120 }
const MAX_REPORT_BYTES = 50_000_000

/**
 * Execute a notebook in a sandboxed kernel of its own and return what happened. Never throws for
 * anything the notebook does; throws only for bad options or a sandbox that is required and missing.
 *
 * The runner (nbclient, long-lived) runs here on the host; only the kernel runs in the sandbox,
 * sharing nothing with the host but a short-lived socket directory. The kernel is the one announced
 * for this notebook (`kernel`), else one left unused, else one started now; it serves this notebook
 * only and is dead before this returns. The runner writes the report, the executed notebook
 * (recorded from the kernel's messages) and the probed signals straight into `trialDir`, which the
 * sandbox cannot see.
 */
export async function executeNotebook(input: ExecuteOptions): Promise<ExecutionReport> {
  const options = ExecuteOptionsSchema.parse(input)
  const { settings } = options
  const trialDir = path.resolve(options.trialDir)
  const started = Date.now()
  const runDir = path.join(trialDir, '.run')
  await rm(runDir, { recursive: true, force: true })
  await rm(path.join(trialDir, 'probe'), { recursive: true, force: true })
  await mkdir(runDir, { recursive: true })
  const inputNotebook = path.join(runDir, 'input.ipynb')
  await writeFile(inputNotebook, await readFile(path.resolve(options.notebook)))

  const python = options.python ?? harnessPython()
  const { runner, spec, fresh } = await claimKernel(settings, python, options.kernel)
  const isolated = spec.sandbox.length > 0
  const base = { notebook: inputNotebook, marker: spec.marker, isolated }
  const failure = (status: 'harness_timeout' | 'harness_error', harnessError: string): ExecutionReport => ({
    ...base,
    status,
    harnessError,
    wallMs: Date.now() - started,
    validation: { ok: true, problems: [] },
    cells: [],
    firstError: null,
    probe: { status: 'skipped', reason: harnessError },
    executedNotebook: null,
    timings: {},
    metadataStripped: [],
    outputCuts: [],
    renamedStreams: 0,
  })
  let attempted = false
  let executed = false
  try {
    if (!isolated) options.onWarning?.(UNISOLATED_WARNING)
    const withWarning = { ...base, ...(isolated ? {} : { sandboxWarning: UNISOLATED_WARNING }) }
    const reportPath = path.join(runDir, 'report.json')
    const progressPath = path.join(runDir, 'progress.json')
    const request = {
      notebook: inputNotebook,
      executedPath: path.join(trialDir, 'executed.ipynb'),
      reportPath,
      progressPath,
      signalsDir: path.join(trialDir, 'probe'),
      kernel: spec,
      cellTimeoutSec: Math.min(settings.cellTimeoutSeconds, options.totalTimeoutSeconds),
      totalTimeoutSec: options.totalTimeoutSeconds,
      startupTimeoutSec: settings.startupTimeoutSeconds,
      limits: { cpuSeconds: Math.ceil(options.totalTimeoutSeconds + 10) },
      outputs: OUTPUT_LIMITS,
      probe: options.probe ? { ...PROBE_LIMITS, maxValues: settings.probeMaxValues, results: options.results } : null,
      sentAtMs: Date.now(),
    }
    const requestPath = path.join(runDir, 'request.json')
    await writeFile(requestPath, JSON.stringify(request, null, 2))
    if (options.signal?.aborted) return failure('harness_error', 'execution was cancelled before it started')

    const hardLimitMs = executionBudget(options.totalTimeoutSeconds, settings).runnerMs
    attempted = true
    const outcome = await runner.execute(requestPath, { hardLimitMs, signal: options.signal })
    executed = outcome.kind === 'executed'
    if (outcome.kind === 'killed') {
      await releaseLeftovers(progressPath)
      if (outcome.by === 'timeout') {
        const seconds = Math.round(hardLimitMs / 1000)
        return failure(
          'harness_timeout',
          `the runner did not finish within ${seconds} s and its process tree was killed`,
        )
      }
      return failure('harness_error', 'execution was cancelled')
    }
    let report: RunnerReport
    try {
      report = parseRunnerReport(await harvest(runDir, 'report.json', MAX_REPORT_BYTES))
    } catch (error) {
      const said = outcome.kind === 'executed' ? outcome.error : outcome.why
      const stderr = runner.stderr.trim()
      const why = `no usable report from the notebook runner (${said ?? 'no answer'}): ${(error as Error).message}`
      // once the notebook's kernel was running, a runner that broke broke on what the kernel sent
      if (await kernelStarted(progressPath)) return runnerLost(withWarning, started, why)
      return failure('harness_error', why + (stderr ? `\n${stderr}` : ''))
    }
    const final: ExecutionReport = {
      ...report,
      ...withWarning,
      executedNotebook: report.executedNotebook ? path.join(trialDir, 'executed.ipynb') : null,
      wallMs: Date.now() - started,
    }
    await writeFile(path.join(trialDir, 'execution.json'), JSON.stringify(final, null, 2))
    return final
  } finally {
    returnRunner(runner, options.kernel)
    // the runner removes its kernel's directory; one that did not finish cannot, and one never sent has none
    if (attempted ? !executed : fresh) await removeOwnedTempDir(spec.runtimeDir)
  }
}

async function kernelStarted(progressPath: string): Promise<boolean> {
  try {
    const progress = z.object({ kernelStarted: z.boolean() }).parse(JSON.parse(await readFile(progressPath, 'utf8')))
    return progress.kernelStarted
  } catch {
    return false
  }
}

/** A runner killed by the harness cannot clean up its kernel's cgroups: do it here. */
async function releaseLeftovers(progressPath: string): Promise<void> {
  try {
    const { cgroups } = z
      .object({ cgroups: z.array(z.string().startsWith('/sys/fs/cgroup/')) })
      .parse(JSON.parse(await readFile(progressPath, 'utf8')))
    await releaseCgroups(cgroups)
  } catch {
    // no progress written: the kernel had not started
  }
}

/** The runner broke while the notebook's kernel was running: that is the notebook's failure, with the reason. */
function runnerLost(base: Pick<ExecutionReport, 'notebook' | 'marker' | 'isolated'>, started: number, why: string) {
  const error = { ename: 'RunnerLost', evalue: why, traceback: [] }
  return {
    ...base,
    status: 'runner_error' as const,
    wallMs: Date.now() - started,
    validation: { ok: true, problems: [] },
    cells: [],
    firstError: { cell: null, ...error, sourceExcerpt: '' },
    probe: { status: 'skipped' as const, reason: why },
    executedNotebook: null,
    timings: {},
    metadataStripped: [],
    outputCuts: [],
    renamedStreams: 0,
  }
}

/** Validate the runner's report; a malformed probe section spoils only the probe. */
function parseRunnerReport(bytes: Buffer): RunnerReport {
  const raw = RunnerReportSchema.extend({ probe: z.unknown() }).parse(JSON.parse(bytes.toString('utf8')))
  const probe = ProbeReportSchema.safeParse(raw.probe)
  if (probe.success) return { ...raw, probe: probe.data }
  const evalue = probe.error.issues[0]?.message ?? 'invalid probe output'
  return {
    ...raw,
    probe: { status: 'error', error: { ename: 'ProbeOutputInvalid', evalue, traceback: [] }, durationMs: 0 },
  }
}

/** The execution report saved in a trial directory (e.g. restored from the cache), with its paths re-pointed there. */
export async function loadExecutionReport(trialDir: string): Promise<ExecutionReport | undefined> {
  let saved: ExecutionReport
  try {
    saved = JSON.parse(await readFile(path.join(trialDir, 'execution.json'), 'utf8')) as ExecutionReport
  } catch {
    return undefined
  }
  const probe =
    saved.probe.status === 'ok'
      ? {
          ...saved.probe,
          signals: saved.probe.signals.map((s) =>
            s.file ? { ...s, file: path.join(trialDir, 'probe', `${s.id}.npz`) } : s,
          ),
        }
      : saved.probe
  return { ...saved, probe, executedNotebook: saved.executedNotebook ? path.join(trialDir, 'executed.ipynb') : null }
}
