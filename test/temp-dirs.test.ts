// The harness's own temporary directories (runner homes, kernel runtime dirs) go when the process
// does, including when Vitest ends a worker with SIGTERM, and the signal still ends the process.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { expect, test } from 'vitest'
import { ROOT } from './helpers.ts'

const MODULE = JSON.stringify(path.join(ROOT, 'src/harness/util/temp-dirs.ts'))

/** A Node process that makes one owned directory, prints it, then idles (or returns at once). */
function child(idle: boolean) {
  const source =
    `const { ownedTempDir } = await import(${MODULE}); console.log(ownedTempDir('sd-owned-'));` +
    (idle ? 'setInterval(() => {}, 1000)' : '')
  return execa('node', ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: ROOT, reject: false })
}

test('removed at a normal exit', async () => {
  const done = await child(false)
  expect(done.exitCode).toBe(0)
  const dir = done.stdout.trim()
  expect(dir).toMatch(/sd-owned-/)
  expect(existsSync(dir)).toBe(false)
})

test('removed on SIGTERM, and the process still dies of SIGTERM', async () => {
  const running = child(true)
  const dir = await new Promise<string>((resolve) =>
    running.stdout!.once('data', (d: Buffer) => resolve(`${d}`.trim())),
  )
  expect(existsSync(dir)).toBe(true)
  running.kill('SIGTERM')
  const done = await running
  expect(done.signal).toBe('SIGTERM')
  expect(existsSync(dir)).toBe(false)
})

test('a process killed outright leaves its directory; the next one to use the prefix removes it', async () => {
  const running = child(true)
  const dir = await new Promise<string>((resolve) =>
    running.stdout!.once('data', (d: Buffer) => resolve(`${d}`.trim())),
  )
  running.kill('SIGKILL')
  await running
  expect(existsSync(dir)).toBe(true)
  const next = await child(false)
  expect(next.exitCode).toBe(0)
  expect(existsSync(dir)).toBe(false)
})
