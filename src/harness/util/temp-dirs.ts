import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

// Directories this process made and removes when it is done with them. Whatever is still here when
// the process ends — Vitest ends its workers with SIGTERM while their runners and unused kernels are
// alive, so their exit callbacks never run — is removed then, synchronously: nothing piles up in the
// temp dir.
const owned = new Set<string>()
let hooked = false

function removeAll(): void {
  for (const dir of owned) rmSync(dir, { recursive: true, force: true })
  owned.clear()
}

/** Clean up, then let the signal do what it would have done had we not listened. */
function onSignal(signal: NodeJS.Signals): void {
  removeAll()
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function hook(): void {
  hooked = true
  process.once('exit', removeAll)
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal)
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' // someone else's process: alive
  }
}

// A process killed outright (SIGKILL, the OOM killer) removes nothing: the next one to use a prefix
// removes that prefix's directories whose process is gone (the pid is in the name).
const swept = new Set<string>()
function sweep(prefix: string): void {
  swept.add(prefix)
  const pattern = new RegExp(`^${prefix.replace(/[^\w-]/g, '')}(\\d+)-`)
  let names: string[]
  try {
    names = readdirSync(os.tmpdir())
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? NaN)
    if (!pid || pid === process.pid || alive(pid)) continue
    try {
      rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true })
    } catch {
      // not ours to remove (another user's): leave it
    }
  }
}

/**
 * A new directory under the system temp dir (short: Unix-socket paths live in it), named
 * `<prefix><pid>-…`, removed at exit at the latest.
 */
export function ownedTempDir(prefix: string): string {
  if (!swept.has(prefix)) sweep(prefix)
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}${process.pid}-`))
  owned.add(dir)
  if (!hooked) hook()
  return dir
}

/** Remove an owned directory now. */
export async function removeOwnedTempDir(dir: string): Promise<void> {
  owned.delete(dir)
  await rm(dir, { recursive: true, force: true })
}

/** Remove an owned directory now, synchronously (from an exit or close path). */
export function removeOwnedTempDirSync(dir: string): void {
  owned.delete(dir)
  rmSync(dir, { recursive: true, force: true })
}
