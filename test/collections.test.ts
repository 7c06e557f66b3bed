import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { inventoryGoals } from '../src/harness/goal/inventory.ts'
import { MAX_GOAL_BYTES, parseGoal, type GoalError, type GoalOptions } from '../src/harness/goal/parse.ts'
import { inferTier } from '../src/harness/goal/tiers.ts'
import { ROOT, tempDir } from './helpers.ts'

/**
 * Goals as existing benchmark collections write them: plain Markdown in folders named goals/,
 * goals_abstract/, goals_research/ (or tutorial/ abstract/ research/) at any depth, citations in
 * the body, title prefixes; and the files people get wrong (empty, binary, a byte-order mark).
 * Every text here is written for these tests.
 */

const bench = (relative: string) => path.join(ROOT, 'benchmarks', relative)

const plain = (title: string, extra = '') =>
  `# ${title}\n\n## Task\nSimulate a small network and report its mean activity.\n${extra}\n## Expected Output\n- A number.\n`

function ok(source: string | Buffer, at: string, options: GoalOptions = {}) {
  const result = parseGoal(source, path.isAbsolute(at) ? at : bench(at), options)
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'))
  return result
}

function errors(source: string | Buffer, at = 'tutorial/x.GOAL.md'): GoalError[] {
  const result = parseGoal(source, bench(at))
  if (result.ok) throw new Error('expected the goal to be rejected')
  return result.errors
}

const cited = '\n**Source:** A. Author (2020), A made-up paper. DOI: 10.9999/example.2020.1\n'

describe('the tier comes from any folder on the path', () => {
  test.each([
    ['heldout/tutorial/a.GOAL.md', 'tutorial'],
    ['tutorial/heldout/a.GOAL.md', 'tutorial'],
    ['collection-x/goals/a.GOAL.md', 'tutorial'],
    ['collection-x/goals_abstract/a.GOAL.md', 'abstract'],
    ['collection-x/Goals-Abstract/a.GOAL.md', 'abstract'],
    ['deep/er/still/goals_research/a.GOAL.md', 'research'],
    ['papers/a.GOAL.md', 'research'],
    ['abstracts/v2/a.GOAL.md', 'abstract'],
    // a plain goals/ folder is weaker than a folder that names a tier
    ['research/goals/a.GOAL.md', 'research'],
    ['goals/abstract/a.GOAL.md', 'abstract'],
    // the folder nearest the file wins
    ['tutorial/abstract/a.GOAL.md', 'abstract'],
  ])('%s → %s', (at, tier) => {
    const result = ok(plain('Goal: Tiers', tier === 'research' ? cited : ''), at)
    expect(result.goal.tier).toBe(tier)
    expect(result.warnings).toEqual([])
    expect(result.origins.tier).toMatch(/^folder "/)
  })

  test('the `tiers` option maps a project’s own folder names, over the aliases', () => {
    const result = ok(plain('Goal: Mapped', cited), 'heldout-hard/x.GOAL.md', { tiers: { heldout_hard: 'research' } })
    expect(result.goal.tier).toBe('research')
    expect(result.origins.tier).toBe('folder "heldout-hard" (the tiers option)')
    expect(inferTier(['goals', 'mine'], { mine: 'abstract' }).tier).toBe('abstract')
  })

  test('folders above benchmarks/ do not count, and a goal with no tier folder runs untiered with a warning', () => {
    const outside = path.join(ROOT, 'research', 'benchmarks', 'misc', 'a.GOAL.md')
    const result = ok(plain('Goal: No tier'), outside)
    expect(result.goal.tier).toBe('untiered')
    expect(result.goal.id).toBe('misc/a')
    expect(result.warnings[0]?.message).toMatch(/untiered/)
    expect(result.goal.timeoutSeconds).toBe(600)
  })

  test('a goal outside any benchmarks/ folder compiles, its id relative to the project root', () => {
    const result = ok(plain('Goal: Elsewhere'), path.join(ROOT, 'some/other/dir/x.GOAL.md'), { root: ROOT })
    expect(result.goal).toMatchObject({ id: 'some/other/dir/x', tier: 'untiered', title: 'Elsewhere' })
  })

  test('frontmatter `tier:` wins over the folder', () => {
    const result = ok(`---\ntier: abstract\n---\n${plain('Goal: Explicit')}`, 'goals_research/x.GOAL.md')
    expect(result.goal.tier).toBe('abstract')
    expect(result.origins.tier).toBe('frontmatter')
  })
})

describe('research goals cite their source in the body', () => {
  test.each([
    [
      '**Source:** Author A (2019). Some journal. DOI: 10.1234/abc.5',
      'Author A (2019). Some journal. DOI: 10.1234/abc.5',
    ],
    ['**Source**: Author B, 2011', 'Author B, 2011'],
    ['Source: Author C et al. (2008)', 'Author C et al. (2008)'],
    ['- *Reference:* Author D (2013), Journal of Things', 'Author D (2013), Journal of Things'],
    ['Citation:\nAuthor E (1995), a book', 'Author E (1995), a book'],
    ['DOI: 10.5555/xyz-123', 'doi:10.5555/xyz-123'],
    ['The model follows https://doi.org/10.4444/q.r.s, with changes.', 'doi:10.4444/q.r.s'],
  ])('%j', (line, source) => {
    const result = ok(plain('Paper-Grounded Goal: Cited', `\n${line}\n`), 'goals_research/cited.GOAL.md')
    expect(result.goal.source).toBe(source)
    expect(result.origins.source).toMatch(/on line \d+$/)
  })

  test('a "## References" section gives its first entry', () => {
    const result = ok(
      `${plain('Goal: Refs')}\n## References\n\n- Author F (2001). A paper about rhythms.\n- Another one.\n`,
      'research/refs.GOAL.md',
    )
    expect(result.goal.source).toBe('Author F (2001). A paper about rhythms')
    expect(result.origins.source).toMatch(/references section on line 11/)
  })

  test('a citation inside a code block does not count; without one the error points at the title line', () => {
    const body = '\n# A comment\n\n```python\n# Source: not a citation\nx = 1\n```\n'
    const [error] = errors(`\n${plain('Research Goal: Uncited', body)}`, 'goals_research/uncited.GOAL.md')
    expect(error).toMatchObject({ line: 2, field: 'source' })
    expect(error?.fix).toContain('Source: <citation or DOI>')
  })
})

describe('titles, headings and numeric targets', () => {
  test.each([
    ['# Goal: Alpha peak', 'Alpha peak'],
    ['# Paper-Grounded Goal: Seizure onset', 'Seizure onset'],
    ['# Research Goal: Slow waves', 'Slow waves'],
    ['# Goal 3: Delays', 'Delays'],
    ['# Abstract Task: Hemispheres', 'Hemispheres'],
    ['# Goal', 'Goal'],
    ['## Goal: Only a second-level heading', 'Only a second-level heading'],
  ])('%j → %j', (heading, title) => {
    expect(ok(`${heading}\n\nDo it.\n`, 'tutorial/t.GOAL.md').goal.title).toBe(title)
  })

  test('a "# %%" line inside a code fence is not the title', () => {
    const result = ok('Intro text.\n\n```python\n# %%\nprint(1)\n```\n\n# Goal: Real title\n', 'tutorial/f.GOAL.md')
    expect(result.goal.title).toBe('Real title')
    expect(result.goal.titleLine).toBe(8)
  })

  test('frequencies the text expects become hints for a check, not checks', () => {
    const result = ok(
      plain(
        'Goal: Rhythms',
        '\nThe spectrum should peak near ~10 Hz, and BOLD peaks at about 0.05 Hz.\nUse dt 0.1 ms.\n',
      ),
      'tutorial/r.GOAL.md',
    )
    expect(result.goal.checks.map((c) => c.kind)).toEqual(['executes', 'judge_score'])
    expect(result.hints).toEqual([
      { line: 6, text: '~10 Hz', suggestion: 'checks: { psd_peak: { band: [8, 12] } }' },
      { line: 6, text: 'about 0.05 Hz', note: expect.stringContaining('outside the 1–100 Hz') },
    ])
  })

  test('research goals get a longer default timeout, and say why', () => {
    const result = ok(plain('Goal: Long', cited), 'goals_research/long.GOAL.md')
    expect(result.goal.timeoutSeconds).toBe(1800)
    expect(result.origins.timeout).toBe('default for research goals')
  })
})

describe('files people get wrong', () => {
  const withPsd = '---\nchecks:\n  psd_peak:\n    band: [8, 12]\n---\n# Goal: Kept checks\n\nSimulate.\n'

  test('a byte-order mark before the frontmatter is dropped, not the frontmatter', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(withPsd)])
    const result = ok(bom, 'tutorial/bom.GOAL.md')
    expect(result.goal.checks.map((c) => c.id)).toEqual(['executes', 'psd_peak[0]'])
    expect(result.goal.body).not.toContain('band:')
    expect(ok(`\uFEFF${withPsd}`, 'tutorial/bom.GOAL.md').goal.checks).toHaveLength(2)
  })

  test.each([
    ['an empty file', '', /the file is empty/, 1],
    ['only blank lines', '\n\n  \n', /the file is empty/, 1],
    ['frontmatter and nothing else', '---\ntier: tutorial\n---\n', /no task: nothing follows/, 4],
    ['frontmatter with blank lines after it', '---\ntier: tutorial\n---\n\n\n', /no task/, 4],
    ['a frontmatter that is never closed', '---\ntier: tutorial\n# Goal: x\n', /never closed/, 1],
  ])('%s is rejected at line %#', (_name, source, problem, line) => {
    const [error] = errors(source)
    expect(error?.problem).toMatch(problem)
    expect(error?.line).toBe(line)
  })

  test('a binary file renamed .GOAL.md is rejected as not text', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0xff])
    expect(errors(png)[0]?.problem).toMatch(/not a text file/)
    expect(errors(Buffer.from('# Goal: x\n\u0000\u0000 nul bytes\n'))[0]?.problem).toMatch(/NUL/)
    // text a bundler already decoded shows invalid bytes as U+FFFD
    expect(errors('# Goal: x\n\uFFFD\uFFFD\n')[0]?.problem).toMatch(/not valid UTF-8/)
  })

  test('an over-size file is rejected with its size and the limit', () => {
    const [error] = errors(`# Goal: big\n\n${'x'.repeat(MAX_GOAL_BYTES)}\n`)
    expect(error?.problem).toMatch(/is \d+ KB, over the 256 KB limit/)
  })

  test('every frontmatter problem is listed, each at its own line', () => {
    const list = errors('---\ntier: basic\ntimeout: soon\nchekcs: {}\n---\n# Goal: x\n\nDo.\n')
    expect(list.map((e) => [e.line, e.field])).toEqual([
      [2, 'tier'],
      [3, 'timeout'],
      [4, 'chekcs'],
    ])
  })
})

describe('the relevance set’s goals, written as collections write them, all compile', () => {
  const set = readFileSync(path.join(ROOT, 'benchmarks/selection/relevance.yaml'), 'utf8')
  const files = [...set.matchAll(/^\s+- goal: (\S+)$/gm)].map((m) => path.join(ROOT, 'benchmarks/selection', m[1]!))

  test.each(files.map((f) => [path.relative(ROOT, f), f]))('%s', (_name, file) => {
    const result = ok(readFileSync(file), file)
    const folder = path.basename(path.dirname(file))
    const expected = { goals: 'tutorial', goals_abstract: 'abstract', goals_research: 'research' }[folder] ?? folder
    expect(result.goal.tier).toBe(expected)
    if (expected === 'research') expect(result.goal.source).toMatch(/\d{4}/)
    expect(result.goal.title).not.toMatch(/goal:/i)
    expect(result.warnings).toEqual([])
  })
})

describe('inventory of a project’s goals', () => {
  test('include globs find goals at any depth; duplicate ids are problems on both files', () => {
    const root = tempDir('sd-inventory-')
    const write = (relative: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, relative)), { recursive: true })
      writeFileSync(path.join(root, relative), text)
    }
    write('benchmarks/set/goals/a.GOAL.md', plain('Goal: A'))
    write('benchmarks/set/goals_research/b.GOAL.md', plain('Goal: B', cited))
    write('benchmarks/set/goals/notes.md', 'not a goal')
    write('extra/c.GOAL.md', `---\nid: set/goals/a\n---\n${plain('Goal: C')}`)
    const listings = inventoryGoals({ root, include: ['benchmarks/**/*.GOAL.md', 'extra/*.GOAL.md'] })
    expect(listings.map((l) => [path.relative(root, path.resolve(l.file)), l.goal?.tier])).toEqual([
      ['benchmarks/set/goals/a.GOAL.md', 'tutorial'],
      ['benchmarks/set/goals_research/b.GOAL.md', 'research'],
      ['extra/c.GOAL.md', 'untiered'],
    ])
    const duplicates = listings.flatMap((l) => l.errors).map((e) => e.problem)
    expect(duplicates).toHaveLength(2)
    expect(duplicates[0]).toMatch(/the id "set\/goals\/a" is also the id of .*extra\/c\.GOAL\.md/)
  })
})
