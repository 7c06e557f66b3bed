import { constants } from 'node:fs'
import { open, realpath } from 'node:fs/promises'
import path from 'node:path'

/**
 * Reading what a sandbox left behind. Model-written code could plant symlinks or oversized files
 * in the directory it could write; the harness reads only regular files that really lie inside
 * that directory, never follows a link, and caps sizes. Call this after the sandbox has exited
 * (its PID namespace is gone, so nothing can swap files under us).
 */
export class HarvestError extends Error {
  override name = 'HarvestError'
}

export async function harvest(root: string, relative: string, maxBytes: number): Promise<Buffer> {
  const full = path.resolve(root, relative)
  let real: string
  try {
    real = await realpath(full)
  } catch {
    throw new HarvestError(`${relative} was not produced`)
  }
  const realRoot = await realpath(root)
  if (!real.startsWith(realRoot + path.sep)) throw new HarvestError(`${relative} points outside the sandbox directory`)
  // O_NONBLOCK: a FIFO or device planted in place of a result must not hang the harness
  const handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => {
    throw new HarvestError(`${relative} is a symbolic link or unreadable`)
  })
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new HarvestError(`${relative} is not a regular file`)
    if (stat.size > maxBytes)
      throw new HarvestError(`${relative} is ${stat.size} bytes, over the ${maxBytes}-byte limit`)
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}
