import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import { readRun } from '../src/harness/results/store.ts'
import { ROOT, scratchProject } from './helpers.ts'

/**
 * Whole runs (`vitest run`, `skilldelta run`) on scratch projects: a bad SKILL.md stops the run
 * before a single model request; `skills.onError: 'skip'` runs without it and records that; a goal
 * the fixture script has no reply for says how to add one; an unavailable judge is said once.
 */

const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs')
const BIN = path.join(ROOT, 'bin/skilldelta.mjs')
const runs: string[] = []
afterAll(() => {
  for (const id of runs) rmSync(path.join(ROOT, 'results', id), { recursive: true, force: true })
})

const files = {
  'models.yaml': 'models:\n  - { name: tiny, provider: fixture, model: t/tiny, script: script.yaml }\n',
  'script.yaml':
    'replies:\n  - when: { contains: "# Goal: Multiply numbers" }\n    text: "```python\\n# %%\\nprint(6 * 7)\\n```"\n',
  'benchmarks/tutorial/multiply.GOAL.md':
    '# Goal: Multiply numbers\n\nCompute the product of 6 and 7 with Python and print it.\n',
  'skills/product-helper/SKILL.md':
    '---\nname: product-helper\ndescription: Products of numbers in Python. Use whenever a task multiplies numbers.\n---\nMultiply with *.\n',
  // two mistakes in one file, and a file whose folder does not match its name
  'skills/Broken Skill/SKILL.md': '---\nname: broken-skill\nrole: reviewer\n---\nbody\n',
}

const calls = (log: string) =>
  existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length : 0

describe('skills are checked before any model call', () => {
  test('one bad SKILL.md stops the run with every problem listed, and the model is never called', async () => {
    const project = scratchProject(
      'run-bad-skill',
      `{ conditions: ['zero_shot' as const, 'with_skills' as const] }`,
      files,
    )
    const log = path.join(project, 'calls.log')
    const runId = `test-bad-skill-${Date.now().toString(36)}`
    runs.push(runId)
    const result = await execa('node', [VITEST, 'run', '--project', 'tiny'], {
      cwd: project,
      reject: false,
      timeout: 300_000,
      env: { CI: 'true', SKILLDELTA_RUN_ID: runId, SKILLDELTA_FIXTURE_LOG: log, SKILLDELTA_JUDGE: 'none' },
    })
    const output = result.stdout + result.stderr
    expect(result.exitCode).toBe(1)
    expect(output).toContain('[skilldelta] 3 problem(s) in the skills:')
    expect(output).toContain(
      'skills/Broken Skill/SKILL.md:2:1: name: name "broken-skill" differs from its folder "Broken Skill"',
    )
    expect(output).toContain('skills/Broken Skill/SKILL.md:2:1: description: description is required')
    expect(output).toContain('skills/Broken Skill/SKILL.md:3:1: role: role must be driver or navigator')
    expect(output).toContain(
      "3 problem(s) in the skills (listed above): the run stopped before any model call. Fix them, or set skills: { onError: 'skip' }",
    )
    expect(calls(log)).toBe(0)
    expect((await readRun(path.join(project, 'results'), runId)).records).toEqual([])
  })

  test('a condition that offers skills with no skills at all stops the run with what to do', async () => {
    const { 'skills/product-helper/SKILL.md': _a, 'skills/Broken Skill/SKILL.md': _b, ...noSkills } = files
    const project = scratchProject(
      'run-no-skills',
      `{ conditions: ['zero_shot' as const, 'with_skills' as const] }`,
      noSkills,
    )
    const log = path.join(project, 'calls.log')
    const result = await execa('node', [VITEST, 'run', '--project', 'tiny'], {
      cwd: project,
      reject: false,
      timeout: 300_000,
      env: { CI: 'true', SKILLDELTA_FIXTURE_LOG: log, SKILLDELTA_JUDGE: 'none' },
    })
    expect(result.exitCode).toBe(1)
    expect(result.stdout + result.stderr).toMatch(
      /condition\(s\) "with_skills" offer skills, but there is no SKILL\.md under .*: add skills .* or leave those conditions out/,
    )
    expect(calls(log)).toBe(0)
  })

  test("with skills.onError: 'skip' the run goes on without the bad skill and records it; a goal without a fixture reply says how to add one; an absent judge is said once", async () => {
    const project = scratchProject(
      'run-skip-skill',
      `{ conditions: ['with_skills' as const], skills: { onError: 'skip' as const } }`,
      {
        ...files,
        'benchmarks/tutorial/unscripted.GOAL.md': '# Goal: Divide numbers\n\nDivide 42 by 6 and print it.\n',
      },
    )
    const log = path.join(project, 'calls.log')
    const runId = `test-skip-skill-${Date.now().toString(36)}`
    runs.push(runId)
    const result = await execa('node', [BIN, 'run', '--project', 'tiny'], {
      cwd: project,
      reject: false,
      timeout: 300_000,
      env: { CI: 'true', SKILLDELTA_RUN_ID: runId, SKILLDELTA_FIXTURE_LOG: log, SKILLDELTA_JUDGE: '' },
    })
    const output = result.stdout + result.stderr
    expect(output).toContain('skills.onError is "skip": running without Broken Skill')
    const { records } = await readRun(path.join(project, 'results'), runId)
    const byGoal = Object.fromEntries(records.map((r) => [r.goal.id, r]))
    expect(byGoal['tutorial/multiply']).toMatchObject({
      status: 'ok',
      prompt: {
        skills: [expect.objectContaining({ name: 'product-helper', role: 'driver' })],
        skippedSkills: [
          {
            name: 'Broken Skill',
            file: path.join('skills', 'Broken Skill', 'SKILL.md'),
            why: expect.stringContaining('differs from its folder'),
          },
        ],
      },
    })
    // the goal the script has no reply for: what is missing and how to add it
    expect(byGoal['tutorial/unscripted']?.status).toBe('infra_error')
    expect(byGoal['tutorial/unscripted']?.error).toContain(
      `the fixture model 't/tiny' has no scripted reply for this goal ("# Goal: Divide numbers")`,
    )
    expect(byGoal['tutorial/unscripted']?.error).toContain('Add a rule to script.yaml, e.g.')
    expect(byGoal['tutorial/unscripted']?.error).toContain('- when: { contains: "# Goal: Divide numbers" }')
    expect(calls(log)).toBeGreaterThanOrEqual(2)
    // no judge configured: said when the run starts and once in the summary, not under every skipped test
    const reason = 'no judge model configured'
    expect(output.split(reason).length - 1).toBe(2)
    expect(output).toMatch(/\n2 judge check\(s\) skipped: no judge model configured/)
    expect(result.exitCode).toBe(1) // the unscripted goal is an infra error
  })
})
