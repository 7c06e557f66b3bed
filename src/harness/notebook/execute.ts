import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { z } from 'zod'
import { executionBudget } from '../config/limits.ts'
import { harnessPython } from '../config/paths.ts'
import { ExecutionSettingsSchema } from '../config/settings.ts'
import { HarvestError, harvest } from './harvest.ts'
import {
  ProbeReportSchema,
  RunnerReportSchema,
  type ExecutionReport,
  type ProbeReport,
  type RunnerReport,
} from './report.ts'
import { planSandbox } from './sandbox.ts'

const ExecuteOptionsSchema = z
  .object({
    /** The notebook to run (.ipynb). It is copied into the trial directory if it lives elsewhere. */
    notebook: z.string().min(1),
    /** Writable directory for this execution: executed notebook, report, probe output. */
    trialDir: z.string().min(1),
    totalTimeoutSeconds: z.number().positive().default(600),
    probe: z.boolean().default(true),
    settings: ExecutionSettingsSchema.default(ExecutionSettingsSchema.parse({})),
    python: z.string().optional(),
    signal: z.instanceof(AbortSignal).optional(),
    /** Called once with a warning when isolation is off. */
    onWarning: z
      .custom<(message: string) => void>((value) => typeof value === 'function', 'onWarning must be a function')
      .optional(),
  })
  .strict()
export type ExecuteOptions = z.input<typeof ExecuteOptionsSchema>

function killTree(pid: number | undefined): void {
  if (!pid) return
  try {
    process.kill(-pid, 'SIGKILL') // the runner leads its own process group (detached)
  } catch {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

const MAX_REPORT_BYTES = 50_000_000
const MAX_NOTEBOOK_BYTES = 200_000_000
const MAX_SIGNAL_BYTES = 2_000_000_000
const SIGNAL_ID = /^signal-\d{1,4}$/

/**
 * Execute a notebook in a fresh kernel inside the sandbox and return what happened.
 * Never throws for anything the notebook does; throws only for bad options.
 *
 * `trialDir` belongs to the harness. The sandbox can write only `trialDir/sandbox/` (the notebook's
 * working directory); afterwards the harness harvests the report, the executed notebook and the
 * probed signals from there into `trialDir` with symlink-proof reads.
 */
export async function executeNotebook(input: ExecuteOptions): Promise<ExecutionReport> {
  const options = ExecuteOptionsSchema.parse(input)
  const { settings } = options
  const trialDir = path.resolve(options.trialDir)
  const started = Date.now()
  const sandboxDir = path.join(trialDir, 'sandbox')
  await rm(sandboxDir, { recursive: true, force: true })
  const runnerDir = path.join(sandboxDir, '.runner')
  await mkdir(runnerDir, { recursive: true })
  // inside the sandbox only sandboxDir is visible, so the notebook is copied there
  const inputNotebook = path.join(runnerDir, 'input.ipynb')
  await writeFile(inputNotebook, await readFile(path.resolve(options.notebook)))

  const python = options.python ?? harnessPython()
  const marker = randomUUID()
  const requestPath = path.join(runnerDir, 'request.json')
  const plan = await planSandbox({
    python,
    args: ['-m', 'skilldelta_py.run_notebook', requestPath],
    writableDir: sandboxDir,
    marker,
    mode: settings.sandbox,
  })
  if (plan.warning) options.onWarning?.(plan.warning)
  // Kernel sockets are Unix sockets (ipc): their paths must stay under ~100 bytes, so they live in
  // the sandbox's private /tmp, or in a short temporary directory when there is no sandbox.
  const socketDir = plan.isolated ? undefined : await mkdtemp(path.join(os.tmpdir(), 'skilldelta-'))
  const request = {
    notebook: inputNotebook,
    executedPath: path.join(runnerDir, 'executed.ipynb'),
    reportPath: path.join(runnerDir, 'report.json'),
    cwd: sandboxDir,
    runtimeDir: socketDir ?? '/tmp/kernel-runtime',
    cellTimeoutSec: Math.min(settings.cellTimeoutSeconds, options.totalTimeoutSeconds),
    totalTimeoutSec: options.totalTimeoutSeconds,
    startupTimeoutSec: settings.startupTimeoutSeconds,
    memoryMb: settings.memoryMb,
    cpuSeconds: Math.ceil(options.totalTimeoutSeconds + 10),
    probe: options.probe
      ? { outDir: path.join(runnerDir, 'probe'), maxElements: settings.probeMaxValues, timeoutSec: 120 }
      : null,
  }
  await writeFile(requestPath, JSON.stringify(request, null, 2))

  const base = {
    notebook: inputNotebook,
    marker,
    isolated: plan.isolated,
    ...(plan.warning ? { sandboxWarning: plan.warning } : {}),
  }
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
  })
  if (options.signal?.aborted) return failure('harness_error', 'execution was cancelled before it started')

  const hardLimitMs = executionBudget(options.totalTimeoutSeconds, settings).runnerMs
  const child = execa(plan.file, plan.args, {
    env: plan.env,
    extendEnv: false,
    cwd: sandboxDir,
    detached: true,
    stdin: 'ignore',
    reject: false,
    cleanup: true,
    maxBuffer: 10_000_000,
  })
  let killedBy: 'timeout' | 'abort' | undefined
  const timer = setTimeout(() => {
    killedBy = 'timeout'
    killTree(child.pid)
  }, hardLimitMs)
  const onAbort = () => {
    killedBy = 'abort'
    killTree(child.pid)
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const result = await child
  clearTimeout(timer)
  options.signal?.removeEventListener('abort', onAbort)
  await rm(path.join(sandboxDir, '.scratch'), { recursive: true, force: true })
  if (socketDir) await rm(socketDir, { recursive: true, force: true })

  if (killedBy === 'timeout') {
    return failure(
      'harness_timeout',
      `the runner did not finish within ${Math.round(hardLimitMs / 1000)} s and its process tree was killed`,
    )
  }
  if (killedBy === 'abort') return failure('harness_error', 'execution was cancelled')
  let report: RunnerReport
  try {
    report = parseRunnerReport(await harvest(sandboxDir, '.runner/report.json', MAX_REPORT_BYTES))
  } catch (error) {
    const stderr = result.stderr.trim().split('\n').slice(-15).join('\n')
    return failure(
      'harness_error',
      `no usable report from the notebook runner (exit ${result.exitCode}): ${(error as Error).message}` +
        (stderr ? `\n${stderr}` : ''),
    )
  }
  const executedNotebook = await collect(
    sandboxDir,
    '.runner/executed.ipynb',
    path.join(trialDir, 'executed.ipynb'),
    MAX_NOTEBOOK_BYTES,
  )
  const probe = await collectSignals(report.probe, sandboxDir, trialDir)
  const final: ExecutionReport = { ...report, ...base, probe, executedNotebook, wallMs: Date.now() - started }
  await writeFile(path.join(trialDir, 'execution.json'), JSON.stringify(final, null, 2))
  return final
}

/** Validate the runner's report; a malformed probe section (the kernel wrote it) spoils only the probe. */
function parseRunnerReport(bytes: Buffer): RunnerReport {
  const raw = RunnerReportSchema.extend({ probe: z.unknown() }).parse(JSON.parse(bytes.toString('utf8')))
  const probe = ProbeReportSchema.safeParse(raw.probe)
  return {
    ...raw,
    probe: probe.success
      ? probe.data
      : {
          status: 'error',
          error: {
            ename: 'ProbeOutputInvalid',
            evalue: probe.error.issues[0]?.message ?? 'invalid probe output',
            traceback: [],
          },
          durationMs: 0,
        },
  }
}

async function collect(sandboxDir: string, relative: string, target: string, maxBytes: number): Promise<string | null> {
  try {
    await writeFile(target, await harvest(sandboxDir, relative, maxBytes))
    return target
  } catch (error) {
    if (error instanceof HarvestError) return null
    throw error
  }
}

/** Copy each probed signal out of the sandbox under a name the harness chooses; drop what is not a plain file. */
async function collectSignals(probe: ProbeReport, sandboxDir: string, trialDir: string): Promise<ProbeReport> {
  if (probe.status !== 'ok') return probe
  await mkdir(path.join(trialDir, 'probe'), { recursive: true })
  const signals = []
  for (const signal of probe.signals) {
    const { file: _claimed, ...rest } = signal
    if (!SIGNAL_ID.test(signal.id) || signal.skipped) {
      signals.push(
        SIGNAL_ID.test(signal.id) ? rest : { ...rest, id: 'signal-invalid', skipped: 'invalid id from the probe' },
      )
      continue
    }
    const file = await collect(
      sandboxDir,
      `.runner/probe/${signal.id}.npz`,
      path.join(trialDir, 'probe', `${signal.id}.npz`),
      MAX_SIGNAL_BYTES,
    )
    signals.push(file ? { ...rest, file } : { ...rest, skipped: 'the probe did not leave a readable file' })
  }
  return { ...probe, signals }
}

/** The execution report saved in a trial directory (e.g. restored from the cache), with its paths re-pointed there. */
export async function loadExecutionReport(trialDir: string): Promise<ExecutionReport | undefined> {
  let saved: ExecutionReport
  try {
    saved = JSON.parse(await readFile(path.join(trialDir, 'execution.json'), 'utf8')) as ExecutionReport
  } catch {
    return undefined
  }
  const probe: ProbeReport =
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
