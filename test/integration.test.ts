import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import { TrialRecordSchema, type TrialRecord } from '../src/harness/results/schema.ts'
import { ROOT, scratchProject } from './helpers.ts'

const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs')

interface JsonReport {
  numFailedTestSuites: number
  testResults: {
    name: string
    status: string
    message: string
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[]
  }[]
}

/** Run `vitest run` as a user would, with a fixed run id so the records can be found. */
async function vitestRun(
  args: string[],
  runId: string,
  cwd = ROOT,
  env: Record<string, string> = {},
): Promise<{ report: JsonReport; stdout: string; exitCode: number }> {
  const outputFile = path.join(ROOT, 'test/.tmp', `${runId}.json`)
  const result = await execa('node', [VITEST, 'run', ...args, '--reporter=json', `--outputFile=${outputFile}`], {
    cwd,
    // the scripted judge grades every run here; a real judge key in the environment must not leak in
    env: {
      SKILLDELTA_RUN_ID: runId,
      CI: 'true',
      SKILLDELTA_JUDGE: cwd === ROOT ? 'fixture-judge' : '',
      // the repository's own goals: the seed suite (the full suite is npm run bench:oracles' job)
      SKILLDELTA_SUITE: cwd === ROOT ? 'seed' : '',
      ...env,
    },
    reject: false,
    timeout: 600_000,
  })
  return {
    report: JSON.parse(readFileSync(outputFile, 'utf8')) as JsonReport,
    stdout: result.stdout + result.stderr,
    exitCode: result.exitCode ?? -1,
  }
}

function record(runId: string, model: string, condition: string, goal: string): TrialRecord {
  const file = path.join(ROOT, 'results', runId, model, condition, goal, 'sample-0', 'trial.json')
  return TrialRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8')))
}

/** Test statuses by full name, for the tests of one condition (the others are filtered out by -t). */
const statuses = (report: JsonReport, condition = 'zero_shot') =>
  Object.fromEntries(
    report.testResults.flatMap((file) =>
      file.assertionResults.filter((a) => a.fullName.startsWith(`${condition} `)).map((a) => [a.fullName, a.status]),
    ),
  )

const runs: string[] = []
const newRunId = (label: string) => {
  const id = `test-${label}-${Date.now().toString(36)}`
  runs.push(id)
  return id
}
afterAll(() => {
  for (const id of runs) rmSync(path.join(ROOT, 'results', id), { recursive: true, force: true })
})

describe('GOAL.md → vitest run → fixture model → real TVB → matchers → trial records', () => {
  test('the oracle model passes every objective check of every seed goal', async () => {
    const runId = newRunId('oracle')
    const { report, exitCode } = await vitestRun(['--project', 'fixture-oracle', '-t', 'zero_shot'], runId)
    expect(exitCode).toBe(0)
    expect(statuses(report)).toEqual({
      'zero_shot executes': 'passed',
      'zero_shot judge score ≥ 3': 'passed',
      'zero_shot PSD peak in 8–12 Hz (TemporalAverage)': 'passed',
      'zero_shot has signal Bold with ≥ 40 samples, 76 regions, period 500 ms': 'passed',
      'zero_shot PSD peak in 8–12 Hz (stochastic)': 'passed',
      'zero_shot has signal deterministic with 76 regions': 'passed',
      'zero_shot n_regions in [76, 76]': 'passed',
      'zero_shot max_weight in [2.99, 3.01]': 'passed',
      'zero_shot max_tract_mm in [153, 154]': 'passed',
    })
    const spectra = record(runId, 'fixture-oracle', 'zero_shot', 'tutorial/analyze_power_spectra')
    expect(spectra).toMatchObject({
      status: 'ok',
      model: { requested: 'skilldelta/oracle', reported: 'skilldelta/oracle' },
      execution: { status: 'ok', isolated: true },
    })
    expect(spectra.checks['psd_peak[0]']).toMatchObject({ status: 'pass', measured: { peakHz: 9, resolutionHz: 0.5 } })
    expect(spectra.checks.judge_score).toMatchObject({
      status: 'pass',
      measured: { mean: 4, correctness: 4, judgeModel: 'skilldelta/judge' },
    })
    expect(spectra.judge).toMatchObject({
      status: 'ok',
      model: { name: 'fixture-judge', reported: 'skilldelta/judge' },
      rubric: { version: '2' },
      flags: [],
      mean: 4,
    })
    const trialDir = path.join(ROOT, spectra.artifacts.dir!)
    expect(spectra.artifacts.dir).toBe(
      path.join('results', runId, 'fixture-oracle/zero_shot/tutorial/analyze_power_spectra/sample-0'),
    )
    for (const artifact of [
      'prompt',
      'reply',
      'script',
      'notebook',
      'executed',
      'execution',
      'judgeDigest',
      'judgement',
    ] as const) {
      expect(existsSync(path.join(trialDir, spectra.artifacts[artifact] ?? 'missing')), artifact).toBe(true)
    }
    expect(spectra.checks['psd_peak[0]']?.measured?.plot).toBe('psd-signal-0-8-12Hz.png')
    expect(existsSync(path.join(trialDir, 'psd-signal-0-8-12Hz.png'))).toBe(true)
    const bold = record(runId, 'fixture-oracle', 'zero_shot', 'tutorial/bold_monitor')
    expect(bold.checks['signal[0]']).toMatchObject({
      status: 'pass',
      measured: { samples: 40, regions: 76, periodMs: 500 },
    })
  })

  test('the negative controls fail the check each one targets, with statuses instead of scores', async () => {
    const runId = newRunId('broken')
    const { report, exitCode } = await vitestRun(['--project', 'fixture-broken', '-t', 'zero_shot'], runId)
    expect(exitCode).toBe(1)
    const byName = statuses(report)
    expect(byName['zero_shot PSD peak in 8–12 Hz (stochastic)']).toBe('failed') // decaying transient
    expect(byName['zero_shot has signal deterministic with 76 regions']).toBe('passed')
    expect(byName['zero_shot PSD peak in 8–12 Hz (TemporalAverage)']).toBe('failed') // crashed before simulating
    expect(byName['zero_shot has signal Bold with ≥ 40 samples, 76 regions, period 500 ms']).toBe('failed') // default BOLD period

    const crash = record(runId, 'fixture-broken', 'zero_shot', 'tutorial/analyze_power_spectra')
    expect(crash).toMatchObject({
      status: 'execution_failed',
      execution: { status: 'cell_error', firstError: { ename: 'TraitTypeError' } },
    })
    expect(crash.checks.executes).toMatchObject({ status: 'fail', message: expect.stringContaining('load_default') })
    // the judge saw the traceback (the scripted judge scores a failed cell 2)
    expect(crash.checks.judge_score).toMatchObject({ status: 'fail', measured: { mean: 2 } })
    expect(readFileSync(path.join(ROOT, crash.artifacts.dir!, 'judge-digest.md'), 'utf8')).toMatch(
      /status: error \(TraitTypeError\)[\s\S]*\[error\] TraitTypeError/,
    )

    const decaying = record(runId, 'fixture-broken', 'zero_shot', 'tutorial/stochastic_vs_deterministic')
    expect(decaying.status).toBe('ok')
    expect(decaying.checks['psd_peak[0]']).toMatchObject({ status: 'fail', message: expect.stringContaining('decays') })

    const bold = record(runId, 'fixture-broken', 'zero_shot', 'tutorial/bold_monitor')
    expect(bold.status).toBe('ok')
    expect(bold.checks['signal[0]']).toMatchObject({ status: 'fail', measured: { samples: 10, periodMs: 2000 } })
    expect(bold.checks['signal[0]']?.message).toContain('it has 10 samples, fewer than 40')

    const prose = record(runId, 'fixture-broken', 'zero_shot', 'abstract/connectome_summary')
    expect(prose).toMatchObject({
      status: 'generation_failed',
      error: expect.stringContaining('no ```python code block'),
    })
    expect(prose.execution).toBeUndefined()
    expect(prose.checks.judge_score).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('no judge score: there is no executed notebook to judge'),
    })
    expect(prose.judge).toBeUndefined()
  })
})

describe('browsing a failing cell', () => {
  test('Vitest UI / html report annotations carry the traceback, the executed notebook as script-free HTML, the notebook, the reply and the judge; Allure gets parameters, labels and the same files', async () => {
    const runId = newRunId('evidence')
    const annotationsFile = path.join(ROOT, 'test/.tmp', `${runId}-annotations.json`)
    const allureDir = path.join(ROOT, 'allure-results')
    rmSync(allureDir, { recursive: true, force: true })
    try {
      const { exitCode } = await vitestRun(
        [
          '--project',
          'fixture-broken',
          'benchmarks/tutorial/analyze_power_spectra.GOAL.md',
          '-t',
          'zero_shot',
          `--reporter=${path.join(ROOT, 'test/annotations-reporter.ts')}`,
          '--reporter=allure-vitest/reporter',
        ],
        runId,
        ROOT,
        { ANNOTATIONS_OUT: annotationsFile, SKILLDELTA_ALLURE: '1' },
      )
      expect(exitCode).toBe(1)
      const annotations = JSON.parse(readFileSync(annotationsFile, 'utf8')) as Record<
        string,
        { message: string; path?: string; contentType?: string }[]
      >
      const executes = annotations['fixture-broken zero_shot > executes']!
      expect(executes.map((a) => a.message)).toEqual([
        'failing cell and traceback',
        'executed notebook (HTML)',
        'generated notebook',
        'model reply',
      ])
      for (const a of executes) expect(existsSync(a.path!), a.message).toBe(true) // copied into .vitest-attachments
      expect(readFileSync(executes[0]!.path!, 'utf8')).toMatch(
        /cell \d+ failed: TraitTypeError[\s\S]*--- traceback ---[\s\S]*load_default/,
      )
      const html = readFileSync(executes[1]!.path!, 'utf8')
      expect(executes[1]!.contentType).toBe('text/html')
      expect(html).toMatch(/<meta content="default-src 'none';[^"]*" http-equiv="Content-Security-Policy"\/>/)
      expect(html).toContain('TraitTypeError')
      const judge = annotations['fixture-broken zero_shot > judge score ≥ 3']!
      expect(judge.map((a) => a.message)).toEqual([
        'judge: scores and reasons',
        'what the judge read (notebook digest)',
        'executed notebook (HTML)',
      ])
      expect(readFileSync(judge[0]!.path!, 'utf8')).toMatch(/\| correctness \| 2 \| A central cell failed/)
      // the record points at the rendered page too
      expect(record(runId, 'fixture-broken', 'zero_shot', 'tutorial/analyze_power_spectra').artifacts.html).toBe(
        'executed.html',
      )

      // Allure: one result per test, with the matrix coordinates as parameters and the same files
      // (each attachment is a step)
      const results = readdirSync(allureDir)
        .filter((f) => f.endsWith('-result.json'))
        .map(
          (f) =>
            JSON.parse(readFileSync(path.join(allureDir, f), 'utf8')) as {
              name: string
              parameters: { name: string; value: string }[]
              labels: { name: string; value: string }[]
              steps: { attachments: { name: string; source: string }[] }[]
            },
        )
      // (tests filtered out by -t leave results too, without parameters)
      const allureExecutes = results.find(
        (r) => r.name === 'executes' && r.parameters.some((p) => p.name === 'condition' && p.value === 'zero_shot'),
      )!
      expect(allureExecutes.parameters).toEqual(
        expect.arrayContaining([
          { name: 'model', value: 'fixture-broken' },
          { name: 'condition', value: 'zero_shot' },
          { name: 'goal', value: 'tutorial/analyze_power_spectra' },
          { name: 'sample', value: '0' },
        ]),
      )
      expect(allureExecutes.labels).toEqual(
        expect.arrayContaining([
          { name: 'tier', value: 'tutorial' },
          { name: 'feature', value: 'tutorial/analyze_power_spectra' },
        ]),
      )
      const attached = allureExecutes.steps.flatMap((step) => step.attachments)
      expect(attached.map((a) => a.name)).toEqual(executes.map((a) => a.message))
      for (const a of attached) expect(existsSync(path.join(allureDir, a.source))).toBe(true)
    } finally {
      rmSync(allureDir, { recursive: true, force: true })
    }
  })
})

describe('a broken GOAL.md fails its own collection, not the run', () => {
  test('the error names file, line and field; the good goal next to it still runs', async () => {
    const project = scratchProject('collection-project', `{ conditions: ['zero_shot' as const] }`, {
      'models.yaml': 'models:\n  - { name: tiny, provider: fixture, model: t/tiny, script: script.yaml }\n',
      'script.yaml': 'replies:\n  - text: "```python\\n# %%\\nx = 41 + 1\\nprint(x)\\n```"\n',
      'benchmarks/tutorial/good.GOAL.md': '---\nchecks:\n  executes: true\n---\n# Goal: Add numbers\n',
      'benchmarks/tutorial/bad.GOAL.md':
        '---\nchecks:\n  executes: true\n  psd_peak:\n    band: [12, 8]\n---\n# Goal: Broken\n',
    })

    const { report, stdout } = await vitestRun(
      ['--project', 'tiny', `--reporter=${path.join(ROOT, 'reporters/progress.ts')}`],
      newRunId('collect'),
      project,
    )
    const bad = report.testResults.find((r) => r.name.endsWith('bad.GOAL.md'))
    const good = report.testResults.find((r) => r.name.endsWith('good.GOAL.md'))
    expect(bad?.status).toBe('failed')
    expect(bad?.message).toContain(
      'benchmarks/tutorial/bad.GOAL.md:5:5: checks.psd_peak.band: band must be [low, high] in Hz with low < high',
    )
    expect(good?.assertionResults.map((a) => [a.fullName, a.status])).toEqual([['zero_shot executes', 'passed']])
    expect(stdout).not.toContain('Unhandled')
    // progress: the bad file has no trials, the good one has one condition × one sample
    expect(stdout).toMatch(
      /\[skilldelta\] 1\/1 trials · [\d.]+\/min · ETA 0 s · tiny › benchmarks\/tutorial\/good\.GOAL\.md › zero_shot/,
    )
  })
})

describe('choosing the judge for a run', () => {
  const files = (judge: string) => ({
    'models.yaml': [
      'models:',
      '  - { name: tiny, provider: fixture, model: t/tiny, script: script.yaml }',
      '  - { name: remote, provider: openai, base_url: "http://127.0.0.1:9/v1", model: r/remote, api_key_env: SKILLDELTA_TEST_UNSET_KEY }',
      `judge: ${judge}`,
    ].join('\n'),
    'script.yaml': 'replies:\n  - text: "```python\\n# %%\\nprint(42)\\n```"\n',
    'benchmarks/tutorial/add.GOAL.md': '---\nchecks:\n  executes: true\n  judge_score: 3\n---\n# Goal: Print 42\n',
  })

  // (these scratch projects have no rubric of their own: the one skilldelta ships is used)
  test('a judge without its API key: judge checks are skipped with that reason, never scored', async () => {
    const project = scratchProject('judge-no-key', `{ conditions: ['zero_shot' as const] }`, files('{ model: remote }'))
    const { report, stdout } = await vitestRun(['--project', 'tiny'], newRunId('judge-no-key'), project)
    const results = Object.fromEntries(
      report.testResults.flatMap((f) => f.assertionResults.map((a) => [a.fullName, a.status])),
    )
    expect(results).toEqual({ 'zero_shot executes': 'passed', 'zero_shot judge score ≥ 3': 'skipped' })
    expect(stdout).toContain(
      'judge remote is unavailable: model "remote": the environment variable SKILLDELTA_TEST_UNSET_KEY (api_key_env in models.yaml) is not set',
    )
  })

  test('a judge that is the model under test stops the run with the fix', async () => {
    const project = scratchProject('judge-self', `{ conditions: ['zero_shot' as const] }`, files('{ model: tiny }'))
    const result = await execa('node', [VITEST, 'run', '--project', 'tiny'], {
      cwd: project,
      reject: false,
      timeout: 60_000,
      env: { CI: 'true', SKILLDELTA_JUDGE: '' },
    })
    expect(result.exitCode).toBe(1)
    expect(result.stdout + result.stderr).toContain(
      'tiny: the judge (tiny) is the model under test, and a model grading its own notebooks is biased',
    )
    expect(result.stdout + result.stderr).toContain('judge.allow_same_as_generator: true')
  })
})

describe('a model whose server is down', () => {
  test('fails the run in seconds with one clear line, not a hang', async () => {
    const project = scratchProject('down-project', '{}', {
      'models.yaml':
        'models:\n  - { name: ministral-14b, provider: ollama, host: "http://127.0.0.1:9", model: "ministral-3:14b-cloud" }\n',
      'benchmarks/tutorial/a.GOAL.md': '# Goal: anything\n',
    })
    const started = Date.now()
    const result = await execa('node', [VITEST, 'run', '--project', 'ministral-14b'], {
      cwd: project,
      reject: false,
      timeout: 60_000,
      env: { CI: 'true' },
    })
    expect(result.exitCode).toBe(1)
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(result.stdout + result.stderr).toMatch(
      /ministral-14b: Ollama is not reachable at http:\/\/127\.0\.0\.1:9 .*start it with "ollama serve"/,
    )
  })
})

describe('skilldelta compile', () => {
  const bin = path.join(ROOT, 'bin/skilldelta.mjs')

  test('prints the equivalent test module', async () => {
    const { stdout } = await execa('node', [bin, 'compile', 'benchmarks/tutorial/analyze_power_spectra.GOAL.md'], {
      cwd: ROOT,
    })
    expect(stdout).toContain(`describe.for(runConditions())('%s', { concurrent: true }, (condition) => {`)
    expect(stdout).toContain(`test.sequential("PSD peak in 8–12 Hz (TemporalAverage)"`)
  })

  test('writes a .test.ts that imports the runtime relative to itself', async () => {
    const out = path.join(ROOT, 'test/.tmp/compiled')
    mkdirSync(out, { recursive: true })
    await execa('node', [bin, 'compile', 'benchmarks/tutorial/bold_monitor.GOAL.md', '--out', out], { cwd: ROOT })
    const code = readFileSync(path.join(out, 'bold_monitor.test.ts'), 'utf8')
    rmSync(out, { recursive: true, force: true })
    expect(code).toContain(`from "../../../src/harness/runtime/index.ts"`)
  })

  test('a bad goal exits 1 with the located error', async () => {
    const file = path.join(ROOT, 'test/.tmp/bad.GOAL.md')
    writeFileSync(file, '---\ntier: tutorial\nchecks:\n  judge_score: 9\n---\n# Goal: x\n')
    const result = await execa('node', [bin, 'compile', file], { cwd: ROOT, reject: false })
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/bad\.GOAL\.md:4:\d+: checks\.judge_score: /)
  })
})
