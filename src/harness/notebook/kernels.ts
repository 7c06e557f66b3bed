import { randomUUID } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { harnessPython } from '../config/paths.ts'
import type { ExecutionSettings } from '../config/settings.ts'
import { ownedTempDir, removeOwnedTempDir } from '../util/temp-dirs.ts'
import { NotebookRunner, type HeldKernel, type KernelSpec } from './runner.ts'
import { planKernelSandbox } from './sandbox.ts'

/**
 * This process's notebook runners and the kernels they start ahead of demand.
 *
 * A trial announces a notebook (`startKernelAhead`) before it asks the model for one: a runner then
 * starts a sandboxed kernel and imports TVB, numpy, scipy and matplotlib in it while the model call is
 * in flight, so the notebook, when it comes, costs its own compute and little else. Each kernel serves
 * exactly one notebook and is killed after it; runners are long-lived and serve notebook after
 * notebook. A notebook nobody announced runs on a kernel started for it (exactly as before), or on an
 * announced kernel left unused.
 *
 * At most `warmKernels` kernels wait ahead at once in a process (each holds ~250 MB with TVB imported):
 * announcements beyond that wait their turn.
 */

/** The largest message a kernel may send (larger ones are dropped before they are read). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024
/** Runners kept idle without a kernel, ready to start one. */
const IDLE_RUNNERS = 2

/** What a kernel must have in common with a notebook's settings to run it. */
function kernelKey(python: string, settings: ExecutionSettings): string {
  const { sandbox, memoryMb, diskMb, maxProcesses, startupTimeoutSeconds, preload } = settings
  return JSON.stringify({ python, sandbox, memoryMb, diskMb, maxProcesses, startupTimeoutSeconds, preload })
}

/** Plan a kernel: its runtime directory, marker, sandbox and limits (nothing is started here). */
export async function planKernel(python: string, settings: ExecutionSettings, ahead: boolean): Promise<KernelSpec> {
  const marker = randomUUID()
  // Unix-socket paths must stay under ~100 bytes: the runtime directory is short and temporary
  const runtimeDir = ownedTempDir('sdk-')
  try {
    const sandbox = await planKernelSandbox({
      python,
      runtimeDir,
      marker,
      mode: settings.sandbox,
      diskMb: settings.diskMb,
    })
    return {
      marker,
      runtimeDir,
      python,
      sandbox: sandbox.prefix,
      env: sandbox.env,
      startupTimeoutSec: settings.startupTimeoutSeconds,
      limits: { memoryMb: settings.memoryMb, maxProcesses: settings.maxProcesses, seccomp: true },
      maxMessageBytes: MAX_MESSAGE_BYTES,
      preload: ahead ? settings.preload : [],
      ahead,
    }
  } catch (error) {
    await removeOwnedTempDir(runtimeDir)
    throw error
  }
}

/** A notebook announced ahead: holds a runner with a kernel starting for it, until used or released. */
export class KernelAhead {
  runner: NotebookRunner | undefined
  released = false

  constructor(
    readonly key: string,
    readonly python: string,
    readonly settings: ExecutionSettings,
    /** Another notebook may follow each one (driver/navigator rounds): start the next kernel after each. */
    readonly again: boolean,
    private readonly pool: KernelPool,
  ) {}

  /** Settles when the kernel held for this announcement is up: true, or false when it has none (yet) or failed. */
  ready(): Promise<boolean> {
    return this.runner?.kernel?.ready ?? Promise.resolve(false)
  }

  /** No more notebooks: an unused kernel stays for whoever comes next. */
  release(): void {
    this.pool.release(this)
  }
}

export interface Claimed {
  runner: NotebookRunner
  spec: KernelSpec
  /** Planned just now (not a kernel the runner already holds). */
  fresh: boolean
}

class KernelPool {
  private readonly runners = new Set<NotebookRunner>()
  /** Runners held by an announcement or an execution: not for anyone else. */
  private readonly taken = new Set<NotebookRunner>()
  private readonly queue: KernelAhead[] = []

  announce(settings: ExecutionSettings, python: string, again: boolean): KernelAhead {
    const ahead = new KernelAhead(kernelKey(python, settings), python, settings, again, this)
    if (settings.warmKernels > 0) {
      this.queue.push(ahead)
      this.pump()
    }
    return ahead
  }

  /** A runner and the kernel a notebook with these settings runs on: announced, left over, or started now. */
  async claim(settings: ExecutionSettings, python: string, ahead?: KernelAhead): Promise<Claimed> {
    const key = kernelKey(python, settings)
    let runner = ahead?.runner?.alive ? ahead.runner : undefined
    if (ahead) this.unqueue(ahead)
    runner ??= this.idle((r) => r.kernel?.key === key) ?? this.idle((r) => !r.kernel) ?? this.spawn(python)
    this.taken.add(runner)
    const held = runner.kernel?.key === key ? runner.kernel : undefined
    try {
      const spec = held ? await held.spec.catch(() => undefined) : undefined
      if (spec) return { runner, spec, fresh: false }
      return { runner, spec: await planKernel(python, settings, false), fresh: true }
    } catch (error) {
      this.taken.delete(runner)
      throw error
    }
  }

  /** After an execution: the runner goes back (or stays with its announcement, with the next kernel starting). */
  done(runner: NotebookRunner, ahead?: KernelAhead): void {
    if (ahead?.runner === runner) ahead.runner = undefined
    if (ahead?.again && !ahead.released) this.queue.unshift(ahead) // its next kernel, first in line
    this.taken.delete(runner)
    if (!runner.alive) this.forget(runner)
    this.pump()
    this.trim()
  }

  release(ahead: KernelAhead): void {
    ahead.released = true
    this.unqueue(ahead)
    if (ahead.runner) this.taken.delete(ahead.runner)
    ahead.runner = undefined
    this.pump()
    this.trim()
  }

  /** Stop every runner (and so every kernel). */
  close(): void {
    for (const runner of this.runners) runner.close()
    this.queue.splice(0)
  }

  /** Give waiting announcements a kernel, as far as `warmKernels` allows. */
  private pump(): void {
    for (const ahead of [...this.queue]) {
      const key = ahead.key
      const reuse = this.idle((r) => r.kernel?.key === key)
      if (reuse) {
        this.give(ahead, reuse)
        continue
      }
      if (this.waitingKernels() >= ahead.settings.warmKernels) {
        // make room: an unused kernel of other settings nobody holds
        const stale = this.idle((r) => r.kernel !== undefined)
        if (!stale) continue
        void stale.discard()
      }
      const runner = this.idle((r) => !r.kernel) ?? this.spawn(ahead.python)
      runner.prepare(key, planKernel(ahead.python, ahead.settings, true))
      this.give(ahead, runner)
    }
  }

  private give(ahead: KernelAhead, runner: NotebookRunner): void {
    this.unqueue(ahead)
    ahead.runner = runner
    this.taken.add(runner)
  }

  private unqueue(ahead: KernelAhead): void {
    const at = this.queue.indexOf(ahead)
    if (at >= 0) this.queue.splice(at, 1)
  }

  /** Kernels started ahead and not used yet. */
  private waitingKernels(): number {
    return [...this.runners].filter((r) => r.alive && r.kernel).length
  }

  private idle(match: (runner: NotebookRunner) => boolean): NotebookRunner | undefined {
    for (const runner of this.runners) if (runner.alive && !this.taken.has(runner) && match(runner)) return runner
    return undefined
  }

  private spawn(python: string): NotebookRunner {
    const runner = new NotebookRunner(python)
    this.runners.add(runner)
    void runner.exited.then(() => this.forget(runner))
    return runner
  }

  /** A runner that died: what its unused kernel left (cgroups, runtime directory) is removed here. */
  private forget(runner: NotebookRunner): void {
    if (!this.runners.delete(runner)) return
    this.taken.delete(runner)
    const held = runner.kernel
    runner.kernel = undefined
    if (held) void leftovers(held)
  }

  /** Close idle runners beyond a few. */
  private trim(): void {
    const spare = [...this.runners].filter((r) => r.alive && !this.taken.has(r) && !r.kernel)
    for (const runner of spare.slice(IDLE_RUNNERS)) runner.close()
  }
}

async function leftovers(held: HeldKernel): Promise<void> {
  const spec = await held.spec.catch(() => undefined)
  await held.ready
  await releaseCgroups(held.cgroups)
  if (spec) await removeOwnedTempDir(spec.runtimeDir)
}

/** Kill what is left in cgroups a runner could not clean up (it was killed), and remove them. */
export async function releaseCgroups(cgroups: string[]): Promise<void> {
  for (const dir of cgroups) {
    if (!dir.startsWith('/sys/fs/cgroup/')) continue
    try {
      const pids = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean)
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL')
        } catch {
          // gone
        }
      }
      await rm(dir, { recursive: false, force: true }).catch(() => undefined)
    } catch {
      // already removed
    }
  }
}

const pool = new KernelPool()

/**
 * Announce a notebook to come (call it before the model writes the notebook): a kernel starts now,
 * with the preloaded modules imported, and `executeNotebook({ kernel })` runs on it. Release the
 * announcement when the trial ends. `again`: after each notebook, start the next kernel (more rounds).
 */
export function startKernelAhead(
  settings: ExecutionSettings,
  options: { python?: string; again?: boolean } = {},
): KernelAhead {
  return pool.announce(settings, options.python ?? harnessPython(), options.again ?? false)
}

export function claimKernel(settings: ExecutionSettings, python: string, ahead?: KernelAhead): Promise<Claimed> {
  return pool.claim(settings, python, ahead)
}

export function returnRunner(runner: NotebookRunner, ahead?: KernelAhead): void {
  pool.done(runner, ahead)
}

/** Stop every runner of this process (their kernels die with them). */
export function closeKernelPool(): void {
  pool.close()
}
