import path from 'node:path'
import { execa } from 'execa'
import { expect, test } from 'vitest'
import { harnessPython } from '../src/harness/config/paths.ts'
import { ROOT } from './helpers.ts'

// The domain check kinds' analyses on synthetic signals with known answers (and their traps: wrong
// axis, transients, flat and NaN signals, band and threshold edges): python/tests/test_domain_checks.py.
test('the domain analyses give the known answers on synthetic signals', async () => {
  const result = await execa(harnessPython(), [path.join(ROOT, 'python/tests/test_domain_checks.py')], {
    cwd: ROOT,
    reject: false,
    timeout: 300_000,
  })
  const failed = result.stdout.split('\n').filter((line) => line.startsWith('FAIL'))
  expect(failed).toEqual([])
  expect(result.exitCode).toBe(0)
  expect(result.stdout).toMatch(/^(\d+)\/\1 passed$/m)
}, 320_000)
