import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { z } from 'zod'
import { harnessPython } from '../config/paths.ts'
import { ExecutionSettingsSchema } from '../config/settings.ts'
import { RunnerReportSchema, type ExecutionReport } from './report.ts'
import { planSandbox } from './sandbox.ts'

export const ExecuteOptionsSchema = z
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
    onWarning: z.custom<(message: string) => void>((value) => typeof value === 'function', 'onWarning must be a function').optional(),
  })
  .strict()
export type ExecuteOptions = z.input<typeof ExecuteOptionsSchema>

/** Grace the harness allows beyond the notebook's own limits before it kills the process tree. */
const HARD_KILL_GRACE_MS = 30_000

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

/**
 * Execute a notebook in a fresh kernel inside the sandbox and return what happened.
 * Never throws for anything the notebook does; throws only for bad options.
 */
export async function executeNotebook(input: ExecuteOptions): Promise<ExecutionReport> {
  const options = ExecuteOptionsSchema.parse(input)
  const { settings } = options
  const trialDir = path.resolve(options.trialDir)
  const started = Date.now()
  await mkdir(trialDir, { recursive: true })
  const notebook = path.resolve(options.notebook)
  const runnerDir = path.join(trialDir, '.runner')
  await mkdir(runnerDir, { recursive: true })
  // Inside the sandbox only the trial directory is visible, so the notebook must be there.
  const inputNotebook = notebook.startsWith(trialDir + path.sep) ? notebook : path.join(runnerDir, 'input.ipynb')
  if (inputNotebook !== notebook) await writeFile(inputNotebook, await readFile(notebook))

  const python = options.python ?? harnessPython()
  const marker = randomUUID()
  const reportPath = path.join(runnerDir, 'report.json')
  const requestPath = path.join(runnerDir, 'request.json')
  const plan = await planSandbox({
    python,
    args: ['-m', 'skilldelta_py.run_notebook', requestPath],
    writableDir: trialDir,
    marker,
    mode: settings.sandbox,
  })
  if (plan.warning) options.onWarning?.(plan.warning)
  // Kernel sockets are Unix sockets (ipc): their paths must stay under ~100 bytes, so they live in
  // the sandbox's private /tmp, or in a short temporary directory when there is no sandbox.
  const socketDir = plan.isolated ? undefined : await mkdtemp(path.join(os.tmpdir(), 'skilldelta-'))
  const request = {
    notebook: inputNotebook,
    executedPath: path.join(trialDir, 'executed.ipynb'),
    reportPath,
    cwd: trialDir,
    runtimeDir: socketDir ?? '/tmp/kernel-runtime',
    cellTimeoutSec: Math.min(settings.cellTimeoutSeconds, options.totalTimeoutSeconds),
    totalTimeoutSec: options.totalTimeoutSeconds,
    startupTimeoutSec: settings.startupTimeoutSeconds,
    memoryMb: settings.memoryMb,
    cpuSeconds: Math.ceil(options.totalTimeoutSeconds + 10),
    probe: options.probe ? { outDir: path.join(trialDir, 'probe'), maxElements: settings.probeMaxValues, timeoutSec: 120 } : null,
  }
  await writeFile(requestPath, JSON.stringify(request, null, 2))
  await rm(reportPath, { force: true })

  const base = {
    notebook: inputNotebook,
    marker,
    isolated: plan.isolated,
    ...(plan.warning ? { sandboxWarning: plan.warning } : {}),
  }
  const hardLimitMs = (options.totalTimeoutSeconds + settings.startupTimeoutSeconds) * 1000 + HARD_KILL_GRACE_MS
  const child = execa(plan.file, plan.args, {
    env: plan.env,
    extendEnv: false,
    cwd: trialDir,
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
  await rm(path.join(trialDir, '.scratch'), { recursive: true, force: true })
  if (socketDir) await rm(socketDir, { recursive: true, force: true })
  const wallMs = Date.now() - started

  const failure = (status: 'harness_timeout' | 'harness_error', harnessError: string): ExecutionReport => ({
    ...base,
    status,
    harnessError,
    wallMs,
    validation: { ok: true, problems: [] },
    cells: [],
    firstError: null,
    probe: { status: 'skipped', reason: harnessError },
    executedNotebook: null,
    timings: {},
  })
  if (killedBy === 'timeout') {
    return failure('harness_timeout', `the runner did not finish within ${Math.round(hardLimitMs / 1000)} s and its process tree was killed`)
  }
  if (killedBy === 'abort') return failure('harness_error', 'execution was cancelled')
  let text: string
  try {
    text = await readFile(reportPath, 'utf8')
  } catch {
    const stderr = result.stderr.trim().split('\n').slice(-15).join('\n')
    return failure('harness_error', `the notebook runner exited with code ${result.exitCode} and no report:\n${stderr}`)
  }
  const report = RunnerReportSchema.parse(JSON.parse(text))
  await writeFile(path.join(trialDir, 'execution.json'), JSON.stringify({ ...report, isolated: plan.isolated, wallMs }, null, 2))
  return { ...report, ...base, wallMs }
}
