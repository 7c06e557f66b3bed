import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'

const STDERR_LINES = 15

/**
 * A long-lived helper process that answers JSON lines with JSON lines, one answer per request, in
 * order (the harness's Python services: the notebook runner, the analyses). Requests go out in the
 * order they are made, even one whose content is still being computed. An idle process does not keep
 * the harness's process alive; a process whose input ends is expected to exit.
 */
export class LineProcess {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  private readonly waiting: ((line: string | undefined) => void)[] = []
  private readonly stderrTail: string[] = []
  private queued: Promise<unknown> = Promise.resolve()
  private exitReason: string | undefined
  /** Settles when the process is gone and every answer it wrote has been read. */
  readonly exited: Promise<void>

  constructor(
    command: string,
    args: string[],
    options: { env: Record<string, string>; cwd: string; detached?: boolean },
  ) {
    this.child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdin.on('error', () => undefined) // a dead process's pipe: its exit says what happened
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line))
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.stderrTail.push(line)
      if (this.stderrTail.length > STDERR_LINES) this.stderrTail.shift()
    })
    this.exited = new Promise((resolve) => {
      const end = (why: string) => {
        this.exitReason ??= why
        for (const waiter of this.waiting.splice(0)) waiter(undefined)
        resolve()
      }
      this.child.once('error', (error) => end(`could not start: ${error.message}`))
      this.child.once('close', (code, signal) => end(`exited (${code ?? signal})`))
    })
    this.setActive(false)
  }

  get alive(): boolean {
    return this.exitReason === undefined
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** Why it is gone (undefined while it runs). */
  get exit(): string | undefined {
    return this.exitReason
  }

  /** Its last lines on stderr. */
  get stderr(): string {
    return this.stderrTail.join('\n')
  }

  /** While it owes an answer, the harness's process waits for it; idle, it does not. */
  private setActive(active: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as {
      ref?: () => void
      unref?: () => void
    }[]
    for (const handle of handles) (active ? handle.ref : handle.unref)?.call(handle)
  }

  /** Send a request (once it is known) after every earlier one; resolves with the answer line (undefined: none). */
  request(message: unknown): Promise<string | undefined> {
    const sent = this.queued.then(async () => {
      const known: unknown = await message
      if (!this.alive) return undefined
      const answer = new Promise<string | undefined>((resolve) =>
        this.waiting.push((line) => {
          if (this.waiting.length === 0) this.setActive(false)
          resolve(line)
        }),
      )
      this.setActive(true)
      this.child.stdin.write(`${JSON.stringify(known)}\n`)
      return { answer }
    })
    this.queued = sent.catch(() => undefined)
    return sent.then((s) => s?.answer)
  }

  /** Kill it now (its whole process group when it leads one). */
  kill(): void {
    const pid = this.child.pid
    if (!pid || !this.alive) return
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }

  /** End its input: it finishes what it is doing and exits. */
  close(): void {
    if (this.alive) this.child.stdin.end()
  }
}
