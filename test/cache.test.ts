import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildReport, formatTerminal } from '../src/harness/report/ablation.ts'
import { readRun } from '../src/harness/results/store.ts'
import { ROOT } from './helpers.ts'

// A throwaway project: three cheap goals, a fixture model, one skill; two conditions.
const project = path.join(ROOT, 'test/.tmp/cache-project')
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs')
const results = path.join(project, 'results')

function writeProject(sleepSeconds: number): void {
  rmSync(project, { recursive: true, force: true })
  mkdirSync(path.join(project, 'benchmarks/tutorial'), { recursive: true })
  mkdirSync(path.join(project, 'skills/driver/arithmetic'), { recursive: true })
  writeFileSync(
    path.join(project, 'vitest.config.ts'),
    [
      `import { defineSkilldeltaConfig } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`,
      `export default defineSkilldeltaConfig({ conditions: ['zero_shot', 'with_skills'], vitest: { test: { maxWorkers: 1 } } })`,
    ].join('\n'),
  )
  writeFileSync(
    path.join(project, 'models.yaml'),
    'models:\n  - { name: tiny, provider: fixture, model: t/tiny, script: script.yaml }\n',
  )
  writeFileSync(
    path.join(project, 'script.yaml'),
    `replies:\n  - text: "\`\`\`python\\n# %%\\nimport time\\ntime.sleep(${sleepSeconds})\\nprint(6 * 7)\\n\`\`\`"\n`,
  )
  for (const name of ['alpha', 'beta', 'gamma']) {
    writeFileSync(
      path.join(project, `benchmarks/tutorial/${name}.GOAL.md`),
      `---\nchecks:\n  executes: true\n---\n# Goal: Multiply numbers (${name})\n\nCompute a product of numbers and print it.\n`,
    )
  }
  setSkill('Multiply with the * operator.')
}
const setSkill = (body: string) =>
  writeFileSync(
    path.join(project, 'skills/driver/arithmetic/SKILL.md'),
    `---\nname: arithmetic\ndescription: How to compute products of numbers in Python.\nkeywords: [numbers, product]\nrole: driver\nversion: 1\n---\n${body}\n`,
  )

const env = (runId: string) => ({
  SKILLDELTA_RUN_ID: runId,
  SKILLDELTA_CACHE_DIR: path.join(project, 'cache'),
  SKILLDELTA_FIXTURE_LOG: path.join(project, 'calls.log'),
})
const calls = () =>
  existsSync(path.join(project, 'calls.log'))
    ? readFileSync(path.join(project, 'calls.log'), 'utf8').trim().split('\n').filter(Boolean).length
    : 0
const run = (runId: string) =>
  execa('node', [VITEST, 'run', '--project', 'tiny'], {
    cwd: project,
    env: env(runId),
    reject: false,
    timeout: 300_000,
  })
const records = async (runId: string) => (await readRun(results, runId)).records
const cacheStates = async (runId: string) =>
  (await records(runId)).map((r) => `${r.condition}:${r.cache?.trial}`).sort()

describe('the cache', () => {
  beforeAll(() => writeProject(0))
  afterAll(() => rmSync(project, { recursive: true, force: true }))

  test('an unchanged matrix reruns with zero model calls; editing a skill reruns only the cells it reaches', async () => {
    expect((await run('first')).exitCode).toBe(0)
    expect(calls()).toBe(6)
    expect(await cacheStates('first')).toEqual([
      ...Array(3).fill('with_skills:miss'),
      ...Array(3).fill('zero_shot:miss'),
    ])

    expect((await run('second')).exitCode).toBe(0)
    expect(calls()).toBe(6) // zero new calls
    const second = await records('second')
    expect(second.map((r) => r.cache?.trial)).toEqual(Array(6).fill('hit'))
    expect(
      second.every((r) => r.status === 'ok' && r.checks.executes?.status === 'pass' && r.cache?.from === 'first'),
    ).toBe(true)
    // same artifacts, same check definition: the verdicts are the first run's, not measured again
    expect((await records('first')).some((r) => r.checks.executes?.reused)).toBe(false)
    expect(second.every((r) => r.checks.executes?.reused === true)).toBe(true)

    setSkill('Multiply with the * operator; print the result.')
    expect((await run('third')).exitCode).toBe(0)
    expect(calls()).toBe(9) // only the three with_skills cells asked the model again
    expect(await cacheStates('third')).toEqual([
      ...Array(3).fill('with_skills:miss'),
      ...Array(3).fill('zero_shot:hit'),
    ])
  })

  test('editing a notebook file the fixture script points to reruns every trial that replays it', async () => {
    const oracle = (value: number) => writeFileSync(path.join(project, 'oracle.py'), `# %%\nprint(${value})\n`)
    oracle(42)
    writeFileSync(path.join(project, 'script.yaml'), 'replies:\n  - notebook: oracle.py\n')
    const before = calls()
    expect((await run('oracle-1')).exitCode).toBe(0)
    expect((await records('oracle-1')).map((r) => r.cache?.trial)).toEqual(Array(6).fill('miss'))
    expect((await run('oracle-2')).exitCode).toBe(0)
    expect((await records('oracle-2')).map((r) => r.cache?.trial)).toEqual(Array(6).fill('hit'))
    expect(calls() - before).toBe(6)

    // the YAML is unchanged; only the oracle it names is edited
    oracle(43)
    expect((await run('oracle-3')).exitCode).toBe(0)
    const third = await records('oracle-3')
    expect(third.map((r) => r.cache?.trial)).toEqual(Array(6).fill('miss'))
    expect(third.some((r) => r.checks.executes?.reused)).toBe(false) // new artifacts: measured again
    expect(calls() - before).toBe(12)
    const notebook = readFileSync(path.join(project, third[0]!.artifacts.dir!, 'workflow.ipynb'), 'utf8')
    expect(notebook).toContain('print(43)')
  })

  test('SKILLDELTA_CACHE=off reads nothing', async () => {
    const before = calls()
    const result = await execa('node', [VITEST, 'run', '--project', 'tiny'], {
      cwd: project,
      env: { ...env('off'), SKILLDELTA_CACHE: 'off' },
      reject: false,
      timeout: 300_000,
    })
    expect(result.exitCode).toBe(0)
    expect(calls() - before).toBe(6)
  })
})

describe('resume', () => {
  beforeAll(() => writeProject(2))
  afterAll(() => rmSync(project, { recursive: true, force: true }))

  test('a run killed with SIGKILL halfway resumes: finished cells are not redone', async () => {
    const child = execa('node', [VITEST, 'run', '--project', 'tiny'], {
      cwd: project,
      env: env('killed'),
      reject: false,
      detached: true,
    })
    // kill it once two cells finished and a third got its reply and is executing (its call is cached)
    const progress = () => readRun(results, 'killed')
    const stage = (dir: string | undefined) =>
      dir && existsSync(path.join(project, dir, 'trial.json'))
        ? (JSON.parse(readFileSync(path.join(project, dir, 'trial.json'), 'utf8')) as { stage?: string }).stage
        : undefined
    const deadline = Date.now() + 240_000
    for (;;) {
      const { records: done, unfinished } = await progress()
      const running = unfinished.some((r) => ['generated', 'executed'].includes(stage(r.artifacts.dir) ?? ''))
      if ((done.length >= 2 && running) || Date.now() > deadline) break
      await new Promise((r) => setTimeout(r, 100))
    }
    process.kill(-child.pid!, 'SIGKILL')
    await child
    const killed = await progress()
    const done = killed.records.length
    expect(done).toBeGreaterThanOrEqual(2)
    expect(done).toBeLessThan(6)
    // the trial that was running is not silently missing: it is reported as unfinished
    expect(killed.unfinished.length).toBeGreaterThanOrEqual(1)
    expect(killed.unfinished.every((r) => r.stage !== 'finished')).toBe(true)
    const report = buildReport(killed.records, { unfinished: killed.unfinished })
    expect(report.unfinished).toHaveLength(killed.unfinished.length)
    expect(formatTerminal(report)).toMatch(/UNFINISHED: \d+ trial\(s\) started but never finished/)
    const cached = readdirSync(path.join(project, 'cache', 'trials')).length
    expect(cached).toBeGreaterThan(0)

    expect((await run('resumed')).exitCode).toBe(0)
    const resumed = await records('resumed')
    expect(resumed).toHaveLength(6)
    expect(resumed.every((r) => r.status === 'ok')).toBe(true)
    expect(resumed.filter((r) => r.cache?.trial === 'hit').length).toBeGreaterThanOrEqual(done)
    expect(calls()).toBe(6) // every cell asked the model exactly once across both runs
  })
})
