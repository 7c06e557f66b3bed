import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadModels } from '../src/harness/config/models.ts'
import { resolveSettings } from '../src/harness/config/settings.ts'
import { parseGoal } from '../src/harness/goal/parse.ts'
import type { Goal } from '../src/harness/goal/schema.ts'
import { executeNotebook } from '../src/harness/notebook/execute.ts'
import { loadSkills, parseSkill, SkillError } from '../src/harness/skills/load.ts'
import { bm25, keywordHits, selectSkills } from '../src/harness/skills/select.ts'
import { planPrompt } from '../src/harness/trial/prompt.ts'
import { notebookJson, python, ROOT, tempDir } from './helpers.ts'

const skills = loadSkills(path.join(ROOT, 'skills'))
const goal = (relative: string): Goal => {
  const file = path.join(ROOT, 'benchmarks', relative)
  const parsed = parseGoal(readFileSync(file, 'utf8'), file)
  if (!parsed.ok) throw parsed.error
  return parsed.goal
}
const queryOf = (g: Goal) => `${g.title}\n${g.keywords.join(' ')}\n${g.body}`
const names = (selection: ReturnType<typeof selectSkills>) => selection.chosen.map((c) => c.skill.name)

describe('SKILL.md files', () => {
  test('the starter set loads in a deterministic order, each under 3 KB', () => {
    expect(skills.map((s) => s.name)).toEqual([
      'notebook-structure',
      'tvb-monitors',
      'tvb-noise-integrators',
      'tvb-psd-analysis',
      'tvb-simulator',
    ])
    for (const skill of skills) expect(skill.bytes, skill.name).toBeLessThan(3 * 1024)
  })

  test.each([
    ['no frontmatter', '# just text', /no YAML frontmatter/],
    [
      'a bad role',
      '---\nname: x\ndescription: a long enough description\nrole: coder\nversion: 1\n---\nbody',
      /role: /,
    ],
    ['a missing description', '---\nname: x\nrole: driver\nversion: 1\n---\nbody', /description: /],
    [
      'an unknown field',
      '---\nname: x\ndescription: a long enough description\nrole: driver\nversion: 1\nauthor: me\n---\nbody',
      /Unrecognized key/,
    ],
  ])('%s is an error naming the file and field', (_name, text, pattern) => {
    expect(() => parseSkill(text, 'skills/driver/x/SKILL.md')).toThrow(SkillError)
    expect(() => parseSkill(text, 'skills/driver/x/SKILL.md')).toThrow(pattern)
    expect(() => parseSkill(text, 'skills/driver/x/SKILL.md')).toThrow('skills/driver/x/SKILL.md')
  })
})

describe('selection', () => {
  test('keywords match whole words only, case-insensitively', () => {
    expect(keywordHits(['dt', 'map', 'Bold'], 'set the width; a BOLD signal; the bitmap')).toEqual(['Bold'])
    expect(keywordHits(['sim.run'], 'call sim.run() once')).toEqual(['sim.run'])
    expect(keywordHits(['Bold'], 'boldness')).toEqual([])
  })

  test('BM25 ranks documents sharing rare query terms higher, and scores no overlap as zero', () => {
    const scores = bm25('bold haemodynamic period', [
      'bold monitor period haemodynamic',
      'welch spectrum alpha',
      'monitor period',
    ])
    expect(scores[0]).toBeGreaterThan(scores[2]!)
    expect(scores[2]).toBeGreaterThan(0)
    expect(scores[1]).toBe(0)
  })

  test('each seed goal gets the skills it needs, in a deterministic order', () => {
    const psd = names(
      selectSkills(skills, { query: queryOf(goal('tutorial/analyze_power_spectra.GOAL.md')), budgetTokens: 10_000 }),
    )
    expect(psd).toContain('tvb-psd-analysis')
    expect(psd).toContain('tvb-simulator')
    expect(
      names(selectSkills(skills, { query: queryOf(goal('tutorial/bold_monitor.GOAL.md')), budgetTokens: 10_000 })),
    ).toContain('tvb-monitors')
    expect(
      names(
        selectSkills(skills, {
          query: queryOf(goal('tutorial/stochastic_vs_deterministic.GOAL.md')),
          budgetTokens: 10_000,
        }),
      ),
    ).toContain('tvb-noise-integrators')
    const connectome = names(
      selectSkills(skills, { query: queryOf(goal('abstract/connectome_summary.GOAL.md')), budgetTokens: 10_000 }),
    )
    expect(connectome).toContain('tvb-simulator')
    expect(connectome).not.toContain('tvb-psd-analysis')
    expect(
      selectSkills(skills, { query: queryOf(goal('tutorial/analyze_power_spectra.GOAL.md')), budgetTokens: 10_000 }),
    ).toEqual(
      selectSkills([...skills].reverse(), {
        query: queryOf(goal('tutorial/analyze_power_spectra.GOAL.md')),
        budgetTokens: 10_000,
      }),
    )
  })

  test('an unrelated goal gets nothing, not everything', () => {
    expect(names(selectSkills(skills, { query: 'Write a haiku about autumn leaves.', budgetTokens: 10_000 }))).toEqual(
      [],
    )
  })

  test('the budget trims lower-ranked skills and says why; always-include skills come first', () => {
    const query = queryOf(goal('tutorial/analyze_power_spectra.GOAL.md'))
    const selection = selectSkills(skills, { query, budgetTokens: 700, always: ['notebook-structure'] })
    expect(selection.chosen[0]).toMatchObject({ reason: 'always', skill: { name: 'notebook-structure' } })
    expect(selection.usedTokens).toBeLessThanOrEqual(700)
    expect(selection.dropped.length).toBeGreaterThan(0)
    expect(selection.dropped[0]?.why).toMatch(/over the 700-token budget/)
  })

  test('the prompt logs offered skills with bytes, tokens and reasons, and respects a small context window', () => {
    const settings = resolveSettings({}, ROOT, {})
    const model = loadModels(path.join(ROOT, 'models.yaml')).find((m) => m.name === 'smollm2-135m')!
    const g = goal('tutorial/analyze_power_spectra.GOAL.md')
    const big = planPrompt(g, { name: 'with_skills', skills: 'select' }, settings, { ...model, context_window: 32_768 })
    const tiny = planPrompt(g, { name: 'with_skills', skills: 'select' }, settings, { ...model, context_window: 2_048 })
    expect(big.skills.length).toBeGreaterThan(tiny.skills.length)
    expect(big.skills[0]).toMatchObject({
      name: expect.any(String),
      bytes: expect.any(Number),
      tokens: expect.any(Number),
      reason: expect.any(String),
    })
    expect(tiny.droppedSkills.length).toBeGreaterThan(0)
    expect(big.messages[0]?.content).toContain(`## ${big.skills[0]?.name}`)
  })
})

describe('skills tell the truth about the pinned TVB', () => {
  const dir = tempDir('sd-skills-')
  const snippets = (body: string) => [...body.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  const setup = snippets(skills.find((s) => s.name === 'tvb-simulator')!.body)[0]!

  test.each(skills.map((s) => [s.name, s] as const))('every code snippet in %s runs', async (name, skill) => {
    const code = snippets(skill.body)
    expect(code.length, `${name} has no python snippet`).toBeGreaterThan(0)
    const cells = name === 'tvb-simulator' ? code : [setup, ...code]
    const file = path.join(dir, `${name}.ipynb`)
    writeFileSync(file, notebookJson(cells))
    const report = await executeNotebook({
      notebook: file,
      trialDir: path.join(dir, name),
      totalTimeoutSeconds: 180,
      probe: false,
    })
    await expect(report).toExecute()
  })

  test('every TVB class a skill names exists (no monitors.SEEG, no made-up models)', async () => {
    const named = new Set<string>()
    for (const skill of skills)
      for (const m of skill.body.matchAll(/\b(models|monitors|integrators|noise|coupling|connectivity)\.([A-Z]\w*)/g))
        named.add(`${m[1]}.${m[2]}`)
    expect(named.size).toBeGreaterThan(8)
    const missing = await python(
      `import json\nfrom tvb.simulator.lab import *\nnames = ${JSON.stringify([...named])}\nprint(json.dumps([n for n in names if not hasattr(globals()[n.split('.')[0]], n.split('.')[1])]))`,
    )
    expect(JSON.parse(missing)).toEqual([])
  })
})
