import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { ROOT, scratchProject } from './helpers.ts'

/**
 * The commands a new user runs on a copied-in collection before any paid run: `skilldelta goals`,
 * `skilldelta skills`, `skilldelta skills select`; and how every command treats a mistake in how it
 * was called. Goal and skill texts are written for these tests.
 */

const BIN = path.join(ROOT, 'bin/skilldelta.mjs')
const cli = (cwd: string, ...args: string[]) => execa('node', [BIN, ...args], { cwd, reject: false, timeout: 120_000 })

const MODELS = {
  'models.yaml':
    'models:\n  - { name: tiny, provider: fixture, model: t/tiny, script: script.yaml, context_window: 8192 }\n',
  'script.yaml': 'replies:\n  - text: "```python\\n# %%\\nprint(42)\\n```"\n',
}
const task = (title: string, extra = '') =>
  `# ${title}\n\n## Task\nSimulate a network of oscillators and report the dominant frequency.\n${extra}\n## Expected Output\n- The frequency in Hz.\n`

describe('skilldelta goals', () => {
  test('a collection copied in as it is compiles: tiers from folders at any depth, sources from the body', async () => {
    const project = scratchProject('cli-goals', `{ tiers: { 'hard-set': 'research' } }`, {
      ...MODELS,
      'benchmarks/imported/goals/alpha.GOAL.md': task('Goal: Alpha'),
      'benchmarks/imported/goals_abstract/beta.GOAL.md': task('Goal: Beta'),
      'benchmarks/imported/goals_research/gamma.GOAL.md': task(
        'Paper-Grounded Goal: Gamma',
        '\n**Source:** Someone S. (2017). A study of rhythms. DOI: 10.1111/rhythm.2017\n\nA peak is expected near ~40 Hz.\n',
      ),
      'benchmarks/hard-set/delta.GOAL.md': task('Goal: Delta', '\nSource: Another A. (2003), a book\n'),
      'benchmarks/loose/epsilon.GOAL.md': task('Goal: Epsilon'),
    })
    const { stdout, exitCode } = await cli(project, 'goals', '--json')
    expect(exitCode).toBe(0)
    const listed = JSON.parse(stdout) as {
      goals: {
        id: string
        tier: string
        source: string | null
        timeoutSeconds: number
        origins: Record<string, string>
      }[]
      problems: unknown[]
    }
    expect(listed.problems).toEqual([])
    expect(listed.goals.map((g) => [g.id, g.tier, g.timeoutSeconds])).toEqual([
      ['hard-set/delta', 'research', 1800],
      ['imported/goals/alpha', 'tutorial', 600],
      ['imported/goals_abstract/beta', 'abstract', 600],
      ['imported/goals_research/gamma', 'research', 1800],
      ['loose/epsilon', 'untiered', 600],
    ])
    expect(listed.goals[3]?.source).toBe('Someone S. (2017). A study of rhythms. DOI: 10.1111/rhythm.2017')
    expect(listed.goals[0]?.origins.tier).toBe('folder "hard-set" (the tiers option)')

    const text = await cli(project, 'goals')
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toContain('tier     research  ← folder "goals_research"')
    expect(text.stdout).toContain('title    Gamma  ← heading on line 1 ("Paper-Grounded Goal:" dropped)')
    expect(text.stdout).toContain(
      'hint     line 8: "~40 Hz" → could be checked: checks: { psd_peak: { band: [32, 48] } }',
    )
    expect(text.stdout).toMatch(/warning +line 1: no tier/)
    expect(text.stdout).toContain('5 of 5 goal file(s) compile (2 research, 1 tutorial, 1 abstract, 1 untiered)')
  })

  test('empty, frontmatter-only, binary and over-size files: every problem listed at once, exit 1; a BOM is dropped', async () => {
    const project = scratchProject('cli-goals-bad', '{}', {
      ...MODELS,
      'benchmarks/tutorial/good.GOAL.md': task('Goal: Fine'),
      'benchmarks/tutorial/empty.GOAL.md': '',
      'benchmarks/tutorial/only-frontmatter.GOAL.md': '---\ntier: tutorial\n---\n',
      'benchmarks/tutorial/two-mistakes.GOAL.md': `---\ntier: expert\ntimeout: later\n---\n${task('Goal: Two')}`,
      'benchmarks/tutorial/huge.GOAL.md': `# Goal: Huge\n\n${'lorem ipsum '.repeat(30_000)}\n`,
    })
    writeFileSync(
      path.join(project, 'benchmarks/tutorial/picture.GOAL.md'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    )
    writeFileSync(
      path.join(project, 'benchmarks/tutorial/bom.GOAL.md'),
      `\uFEFF---\nchecks:\n  psd_peak:\n    band: [8, 12]\n---\n${task('Goal: Marked')}`,
    )
    const { stdout, stderr, exitCode } = await cli(project, 'goals')
    expect(exitCode).toBe(1)
    expect(stdout).toContain('2 of 7 goal file(s) compile')
    expect(stdout).toContain('checks   executes · PSD peak in 8–12 Hz  ← frontmatter') // the BOM goal kept its check
    const lines = stderr.split('\n').filter((l) => /GOAL\.md:\d+:\d+:/.test(l))
    expect(lines).toEqual([
      'benchmarks/tutorial/empty.GOAL.md:1:1: the file is empty',
      'benchmarks/tutorial/huge.GOAL.md:1:1: the file is 352 KB, over the 256 KB limit',
      'benchmarks/tutorial/only-frontmatter.GOAL.md:4:1: the goal has frontmatter but no task: nothing follows the closing ---',
      'benchmarks/tutorial/picture.GOAL.md:1:1: the file is not a text file (it is not valid UTF-8)',
      'benchmarks/tutorial/two-mistakes.GOAL.md:2:1: tier: Invalid option: expected one of "tutorial"|"abstract"|"research"',
      'benchmarks/tutorial/two-mistakes.GOAL.md:3:1: timeout: write a duration like "90s", "10m" or a number of seconds',
    ])
    expect(stderr).toContain('6 problem(s):')
    expect(stderr).toContain('fix: use one of: tutorial, abstract, research')
  })
})

describe('mistakes in how a command is called: one line (usage where it helps), exit 2', () => {
  test.each([
    [['bogus'], /unknown command "bogus"[\s\S]*Usage:/],
    [['--bogus'], /Unknown option '--bogus'[\s\S]*Usage:/],
    [['goals', '--out', 'x'], /skilldelta goals: unknown option --out for this command[\s\S]*Usage:/],
    [['skills', 'bogus'], /unknown action "bogus"/],
    [['skills', 'select'], /name a GOAL\.md file/],
    [['compile'], /missing file argument/],
    [['compile', 'no/such/file.GOAL.md'], /^skilldelta compile: no\/such\/file\.GOAL\.md: no such file$/],
    [['compile', 'benchmarks'], /^skilldelta compile: benchmarks is a directory; name a GOAL\.md file/],
  ])('%j', async (args, message) => {
    const { stdout, stderr, exitCode } = await cli(ROOT, ...args)
    expect(exitCode).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
    expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
  })
})

describe('skilldelta skills', () => {
  const skill = (name: string, description: string, body = 'Notes.') =>
    `---\nname: ${name}\ndescription: ${description}\n---\n${body}\n`

  test('validates every skill as a run would: all problems at once with file:line:col, field and fix; exit 1', async () => {
    const project = scratchProject('cli-skills', '{}', {
      ...MODELS,
      'skills/spectra-helper/SKILL.md': skill(
        'spectra-helper',
        'Power spectra with Welch. Use whenever a spectrum is asked for.',
      ),
      'skills/spectra-helper/references/windows.md': '# Windows\nHann is the default.\n',
      'skills/wrong-folder/SKILL.md': skill('right-name', 'Use when testing names.'),
      'skills/no-description/SKILL.md': '---\nname: no-description\nrole: planner\n---\nx\n',
      'skills/huge/SKILL.md': skill('huge', 'Use when testing size.', 'word '.repeat(420_000)),
      'skills/extra-field/SKILL.md': '---\nname: extra-field\ndescription: Use when testing.\ntriggers: x\n---\nx\n',
    })
    const { stdout, stderr, exitCode } = await cli(project, 'skills')
    expect(exitCode).toBe(1)
    expect(stdout).toMatch(/^spectra-helper\s+driver\s+\d+\s+1\s+Power spectra with Welch/m)
    expect(stdout).toContain('2 valid skill(s) under skills; 3 with errors (huge, no-description, wrong-folder)')
    expect(stdout).toContain(
      'skills/extra-field/SKILL.md:4:1: warning: triggers: not a field of the Agent Skills format',
    )
    expect(stderr).toContain('4 problem(s):')
    expect(stderr).toContain('skills/huge/SKILL.md:1:1: the SKILL.md is 2051 KB, over the 64 KB limit')
    expect(stderr).toContain('skills/no-description/SKILL.md:2:1: description: description is required')
    expect(stderr).toContain('skills/no-description/SKILL.md:3:1: role: role must be driver or navigator')
    expect(stderr).toContain(
      'skills/wrong-folder/SKILL.md:2:1: name: name "right-name" differs from its folder "wrong-folder"',
    )
    expect(stderr).toContain('fix: rename the folder to "right-name", or set "name: wrong-folder"')

    const json = JSON.parse((await cli(project, 'skills', '--json')).stdout) as {
      skills: { name: string; resources: { path: string }[] }[]
      problems: { severity: string }[]
    }
    expect(json.skills.map((s) => s.name)).toEqual(['extra-field', 'spectra-helper'])
    expect(json.skills[1]?.resources.map((r) => r.path)).toEqual(['references/windows.md'])
    expect(json.problems.filter((p) => p.severity === 'error')).toHaveLength(4)
  })

  test('`skills select` shows what a trial would be offered and dropped, with scores, reasons, tokens and the budget', async () => {
    const project = scratchProject('cli-select', '{}', {
      ...MODELS,
      'benchmarks/tutorial/spectrum.GOAL.md': task(
        'Goal: A spectrum',
        '\nUse Welch’s method for the power spectrum.\n',
      ),
      'skills/spectra-helper/SKILL.md': skill(
        'spectra-helper',
        'Power spectra with Welch (resolution, axis, units). Use whenever a task asks for a spectrum.',
      ),
      'skills/bold-helper/SKILL.md': skill('bold-helper', 'BOLD monitor periods. Use for fMRI-like signals.'),
      'skills/navigator/spectra-review/SKILL.md': skill(
        'spectra-review',
        'Checklist for reviewing a power spectrum. Use when reviewing a spectrum.',
      ),
    })
    const { stdout, stderr, exitCode } = await cli(
      project,
      'skills',
      'select',
      'benchmarks/tutorial/spectrum.GOAL.md',
      '--json',
    )
    expect(stderr).toBe('')
    expect(exitCode).toBe(0)
    const out = JSON.parse(stdout) as {
      model: { name: string; strategy: string }
      budgetTokens: number
      offered: { name: string; reason: string; tokens: number }[]
      dropped: { name: string; why: string }[]
      notOffered: { name: string; why: string }[]
    }
    expect(out.model).toMatchObject({ name: 'tiny', strategy: 'single-shot' })
    expect(out.budgetTokens).toBeGreaterThan(1000)
    expect(out.offered.map((s) => s.name)).toEqual(['spectra-helper'])
    expect(out.dropped).toEqual([
      expect.objectContaining({ name: 'spectra-review', why: expect.stringContaining('runs single-shot') }),
    ])
    expect(out.notOffered).toEqual([
      expect.objectContaining({ name: 'bold-helper', why: expect.stringMatching(/score below/) }),
    ])

    const text = await cli(project, 'skills', 'select', 'benchmarks/tutorial/spectrum.GOAL.md')
    expect(text.stdout).toMatch(/^budget +\d+ tokens; offered \d+ tokens/m)
    expect(text.stdout).toMatch(/^offered \(1\)\n.*\n.*\nspectra-helper +driver +[\d.]+ +score ≥/m)
    expect(text.stdout).toMatch(/^not offered \(1\)/m)
  })
})

describe('skilldelta compile', () => {
  test('a goal outside benchmarks/ compiles too (untiered, with the warning on stderr)', async () => {
    const project = scratchProject('cli-compile', '{}', { ...MODELS, 'some/other/dir/x.GOAL.md': task('Goal: Loose') })
    const { stdout, stderr, exitCode } = await cli(project, 'compile', 'some/other/dir/x.GOAL.md')
    expect(exitCode).toBe(0)
    expect(stdout).toContain('"id": "some/other/dir/x"')
    expect(stdout).toContain('"tier": "untiered"')
    expect(stderr).toMatch(/x\.GOAL\.md:1: warning: no tier/)
    expect(existsSync(path.join(project, 'some/other/dir/x.GOAL.md'))).toBe(true)
    expect(readFileSync(path.join(project, 'some/other/dir/x.GOAL.md'), 'utf8')).toContain('Loose')
  })
})
