import path from 'node:path'
import { z } from 'zod'
import { PYTHON_PACKAGE_DIR } from '../config/paths.ts'
import { LineProcess } from '../util/line-process.ts'
import { ownedTempDir, removeOwnedTempDirSync } from '../util/temp-dirs.ts'

/** A kernel a runner holds for a notebook to come. */
export interface HeldKernel {
  /** What a notebook's settings must match to run on it. */
  key: string
  spec: Promise<KernelSpec>
  /** Its cgroups, once started (released by the harness if the runner dies). */
  cgroups: string[]
  /** Settles once the runner answered: true when the kernel is up (and preloaded). */
  ready: Promise<boolean>
}

/** What the runner is told about a kernel: planned by the harness (sandbox, limits), started by the runner. */
export interface KernelSpec {
  /** SKILLDELTA_SANDBOX_MARKER in the kernel's environment; names the kernel in the runner's answers. */
  marker: string
  /** The only directory the kernel's sandbox shares with the host: connection file and sockets. */
  runtimeDir: string
  python: string
  sandbox: string[]
  env: Record<string, string>
  startupTimeoutSec: number
  limits: { memoryMb: number; maxProcesses: number; seccomp: boolean }
  maxMessageBytes: number
  /** Modules imported before the notebook (kernels started ahead only). */
  preload: string[]
  /** Started ahead of its notebook (while the model is still writing it). */
  ahead: boolean
}

const AnswerSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('prepared'),
    marker: z.string(),
    ok: z.boolean(),
    error: z.string().optional(),
    cgroups: z.array(z.string().startsWith('/sys/fs/cgroup/')).default([]),
  }),
  z.object({ op: z.literal('executed'), marker: z.string(), error: z.string().optional() }),
  z.object({ op: z.literal('discarded') }),
  z.object({ op: z.literal('error'), of: z.string().optional(), error: z.string() }),
])
type Answer = z.infer<typeof AnswerSchema>

/** How an execution on this runner ended, as far as the runner process goes. */
export type RunnerOutcome =
  { kind: 'executed'; error?: string } | { kind: 'killed'; by: 'timeout' | 'abort' } | { kind: 'exited'; why: string }

/**
 * One long-lived notebook runner (python/skilldelta_py/runner_service.py) on the host, outside every
 * sandbox: it starts kernels (ahead of their notebooks when asked) and runs one notebook at a time.
 * It holds no secrets: a clean environment, its own process group and scratch home. The harness
 * kills its process tree when an execution runs out of time or is cancelled; then this runner is
 * dead and the pool starts another.
 */
export class NotebookRunner {
  private readonly process: LineProcess
  private readonly home: string
  readonly exited: Promise<void>
  /** The unused kernel this runner holds (being planned, started, or ready). */
  kernel: HeldKernel | undefined

  constructor(readonly python: string) {
    // Unix-socket paths must stay short: the scratch home is a short temporary directory
    const home = ownedTempDir('sdr-')
    this.home = home
    this.process = new LineProcess(python, ['-m', 'skilldelta_py.runner_service'], {
      env: {
        PATH: `${path.dirname(python)}:/usr/local/bin:/usr/bin:/bin`,
        HOME: home,
        LANG: 'C.UTF-8',
        PYTHONPATH: PYTHON_PACKAGE_DIR,
        PYTHONDONTWRITEBYTECODE: '1',
        JUPYTER_RUNTIME_DIR: home,
        JUPYTER_CONFIG_DIR: path.join(home, 'config'),
        JUPYTER_DATA_DIR: path.join(home, 'data'),
      },
      cwd: home,
      detached: true, // its own process group: a timeout kills the runner and whatever it started
    })
    this.exited = this.process.exited.then(() => removeOwnedTempDirSync(home))
  }

  get alive(): boolean {
    return this.process.alive
  }

  get pid(): number | undefined {
    return this.process.pid
  }

  /** The runner's last lines on stderr (for a report that says why it failed). */
  get stderr(): string {
    return this.process.stderr
  }

  /** Start the kernel `planned` describes as soon as it is planned; `ready` says whether it started. */
  prepare(key: string, planned: Promise<KernelSpec>): HeldKernel {
    const held: HeldKernel = { key, spec: planned, cgroups: [], ready: Promise.resolve(false) }
    held.ready = this.ask(planned.then((spec) => ({ op: 'prepare', kernel: spec }))).then(
      (answer) => {
        if (answer?.op !== 'prepared') return false
        held.cgroups = answer.cgroups
        return answer.ok
      },
      () => false, // planning failed (no sandbox?): the notebook's own start will say why
    )
    this.kernel = held
    return held
  }

  /** Kill the unused kernel this runner holds. */
  async discard(): Promise<void> {
    this.kernel = undefined
    await this.ask({ op: 'discard' })
  }

  /** Run the notebook a request file describes (its kernel named in it); the report is in the request's reportPath. */
  async execute(
    requestPath: string,
    limits: { hardLimitMs: number; signal?: AbortSignal | undefined },
  ): Promise<RunnerOutcome> {
    this.kernel = undefined
    let killedBy: 'timeout' | 'abort' | undefined
    const kill = (by: 'timeout' | 'abort') => {
      killedBy ??= by
      this.process.kill()
    }
    const timer = setTimeout(() => kill('timeout'), limits.hardLimitMs)
    const onAbort = () => kill('abort')
    limits.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const answer = await this.ask({ op: 'execute', request: requestPath })
      if (killedBy) {
        await this.process.exited
        return { kind: 'killed', by: killedBy }
      }
      if (answer?.op === 'executed') return { kind: 'executed', ...(answer.error ? { error: answer.error } : {}) }
      if (answer?.op === 'error') return { kind: 'executed', error: answer.error }
      await this.process.exited
      return { kind: 'exited', why: `the runner ${this.process.exit ?? 'stopped answering'}` }
    } finally {
      clearTimeout(timer)
      limits.signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Let the runner finish: it kills any kernel it holds and exits at the end of its input. */
  close(): void {
    this.process.close()
  }

  private async ask(message: object | Promise<object>): Promise<Answer | undefined> {
    const line = await this.process.request(message)
    if (line === undefined) return undefined
    try {
      return AnswerSchema.parse(JSON.parse(line))
    } catch {
      return { op: 'error', error: `an unreadable answer from the runner: ${line.slice(0, 200)}` }
    }
  }
}
