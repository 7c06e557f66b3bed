import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, statSync } from 'node:fs'

// one digest per file version a process sees: a stat is cheap, reading 100 MB of weights per trial is not
const digests = new Map<string, string>()
const CHUNK = 1 << 20

/**
 * A file's sha256 by content (hex), or undefined when it cannot be read. Memoised per process by path,
 * size, modification and change times and inode, so an unchanged file is read once; the same bytes installed
 * again (a new mtime) digest the same, and different bytes never do.
 */
export function fileDigest(file: string): string | undefined {
  let stamp: string
  try {
    const stat = statSync(file)
    stamp = `${file}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}\0${stat.ino}`
  } catch {
    return undefined
  }
  const known = digests.get(stamp)
  if (known) return known
  const sha = createHash('sha256')
  const buffer = Buffer.allocUnsafe(CHUNK)
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    for (let read = readSync(fd, buffer, 0, CHUNK, null); read > 0; read = readSync(fd, buffer, 0, CHUNK, null))
      sha.update(buffer.subarray(0, read))
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  const digest = sha.digest('hex')
  digests.set(stamp, digest)
  return digest
}
