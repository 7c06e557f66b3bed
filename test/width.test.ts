import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadFixtureScript, startFixtureServer, type FixtureServer } from '../src/harness/models/fixture-server.ts'
import { readRun } from '../src/harness/results/store.ts'
import { ROOT, scratchProject } from './helpers.ts'

/**
 * Width follows the provider, not the CPU: one worker (maxWorkers 1) runs a file's cells
 * concurrently, as many calls in flight as the provider allows, against a loopback OpenAI-compatible
 * server that serves 3 calls at once and answers 429 beyond that — while models.yaml claims 6. No
 * trial may be lost to the 429s, and the records, the test results and the progress line must come
 * out as they do when trials run one at a time.
 */

const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs')
const GOALS = ['alpha', 'beta']
const CONDITIONS = ['zero_shot', 'variant_a', 'variant_b']
const SAMPLES = 2
const TRIALS = GOALS.length * CONDITIONS.length * SAMPLES

describe('a provider that serves 3 calls at once, configured as 6', () => {
  let server: FixtureServer
  let project: string
  beforeAll(async () => {
    project = scratchProject(
      'width',
      `{ conditions: ['zero_shot', { name: 'variant_a' }, { name: 'variant_b' }], epochs: ${SAMPLES} }`,
      {
        'trivial.py': '# %%\nprint(sum(range(10)))\n',
        'script.yaml': 'replies:\n  - notebook: trivial.py\n',
        ...Object.fromEntries(
          GOALS.map((name) => [
            `benchmarks/tutorial/${name}.GOAL.md`,
            `---\nchecks:\n  executes: true\n---\n# Goal: Sum numbers (${name})\n\nSum the numbers below ten.\n`,
          ]),
        ),
      },
    )
    server = await startFixtureServer(
      { 'wide/model': loadFixtureScript(path.join(project, 'script.yaml')) },
      { capacity: { concurrent: 3, latencyMs: 1500, retryAfterSeconds: 0.5 } },
    )
    writeFileSync(
      path.join(project, 'models.yaml'),
      `models:\n  - { name: wide, provider: openai, base_url: "${server.url}", model: wide/model, concurrency: 6, ` +
        'strategy: single-shot, timeout_seconds: 60 }\n',
    )
  })
  afterAll(() => server.close())

  test('one worker keeps the provider busy, loses no trial to 429, and records every trial once', async () => {
    const result = await execa('node', [VITEST, 'run', '--project', 'wide'], {
      cwd: project,
      env: { SKILLDELTA_RUN_ID: 'wide', SKILLDELTA_CACHE: 'off', SKILLDELTA_JUDGE: 'none' },
      reject: false,
      timeout: 600_000,
    })
    expect(result.exitCode, result.stderr).toBe(0)
    const load = server.load()
    // the cells of a file overlapped as far as the provider allowed, in a single worker
    expect(load.peakInFlight).toBe(3)
    expect(load.throttled).toBeGreaterThan(0) // it did say no, and nothing was lost to it
    expect(load.served).toBe(TRIALS)

    const { records, unfinished } = await readRun(path.join(project, 'results'), 'wide')
    expect(unfinished).toEqual([])
    expect(records.map((r) => r.status)).toEqual(Array(TRIALS).fill('ok'))
    const cells = records.map((r) => `${r.goal.id} ${r.condition} ${r.sample}`)
    expect(new Set(cells).size).toBe(TRIALS)
    expect(records.every((r) => r.checks.executes?.status === 'pass')).toBe(true)

    // every test passed under its own cell, and the progress line counted each cell once
    const stdout = stripVTControlCharacters(result.stdout)
    expect(stdout).toMatch(new RegExp(`Tests\\s+${TRIALS} passed \\(${TRIALS}\\)`))
    const counted = [...stdout.matchAll(/\[skilldelta\] (\d+)\/(\d+) trials/g)].map((m) => [m[1], m[2]])
    expect(counted).toEqual(Array.from({ length: TRIALS }, (_, i) => [String(i + 1), String(TRIALS)]))
  })
})
