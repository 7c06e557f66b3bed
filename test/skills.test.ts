import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadModels } from '../src/harness/config/models.ts'
import { resolveSettings } from '../src/harness/config/settings.ts'
import { parseGoal } from '../src/harness/goal/parse.ts'
import type { Goal } from '../src/harness/goal/schema.ts'
import { loadSkills, parseSkill, readSkillResource, type Skill } from '../src/harness/skills/load.ts'
import { bm25, isSpecificKeyword, keywordHits, selectSkills } from '../src/harness/skills/select.ts'
import { terms } from '../src/harness/skills/vocabulary.ts'
import { planPrompt } from '../src/harness/trial/prompt.ts'
import { python, ROOT, tempDir } from './helpers.ts'

const { skills, problems } = loadSkills(path.join(ROOT, 'skills'))
const goal = (relative: string): Goal => {
  const file = path.join(ROOT, 'benchmarks', relative)
  const parsed = parseGoal(readFileSync(file, 'utf8'), file)
  if (!parsed.ok) throw parsed.error
  return parsed.goal
}
const queryOf = (g: Goal) => `${g.title}\n${g.keywords.join(' ')}\n${g.body}`
const names = (selection: ReturnType<typeof selectSkills>) => selection.chosen.map((c) => c.skill.name)

/** Write files under a fresh directory; returns its path. */
function tree(files: Record<string, string | Buffer>): string {
  const root = tempDir('sd-skilltree-')
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true })
    writeFileSync(path.join(root, relative), content)
  }
  return root
}

/** Parse a SKILL.md as if it lay in skills/<folder>/SKILL.md. */
const parseAt = (folder: string, text: string | Buffer) => parseSkill(text, path.join('/skills', folder, 'SKILL.md'))
const errorsOf = (result: ReturnType<typeof parseAt>) => result.problems.filter((p) => p.severity === 'error')

describe('the starter skills', () => {
  test('load in a deterministic order, without a single problem, each under 3 KB', () => {
    expect(skills.map((s) => s.name)).toEqual([
      'notebook-structure',
      'tvb-connectivity',
      'tvb-monitors',
      'tvb-noise-integrators',
      'tvb-parameter-mapping',
      'tvb-psd-analysis',
      'tvb-simulator',
    ])
    expect(problems).toEqual([])
    for (const skill of skills) {
      expect(skill.bytes, skill.name).toBeLessThan(3 * 1024)
      expect(skill.description.length, skill.name).toBeLessThanOrEqual(1024)
      expect(skill.description, `${skill.name} says when to use it`).toMatch(/\bUse (when|for|whenever)\b/)
    }
  })
})

describe('SKILL.md in the Agent Skills format', () => {
  test('name and description are enough: role driver, no keywords, no version', () => {
    const { skill, problems } = parseAt(
      'spectra-helper',
      '---\nname: spectra-helper\ndescription: Helps with spectra. Use when a task needs one.\n---\nBody text.\n',
    )
    expect(problems).toEqual([])
    expect(skill).toMatchObject({
      name: 'spectra-helper',
      role: 'driver',
      keywords: [],
      always: false,
      body: 'Body text.',
    })
    expect(skill?.version).toBeUndefined()
  })

  test('skilldelta’s own fields may sit under metadata, as strings', () => {
    const { skill, problems } = parseAt(
      'review-list',
      '---\nname: review-list\ndescription: A checklist for reviewers. Use when reviewing notebooks.\nlicense: MIT\ncompatibility: needs tvb-library 2.10\nallowed-tools: read_skill\nmetadata:\n  role: navigator\n  keywords: "checklist, review notes"\n  always: "true"\n  version: "3"\n  author: someone\n---\n- check the units\n',
    )
    expect(problems).toEqual([])
    expect(skill).toMatchObject({
      role: 'navigator',
      keywords: ['checklist', 'review notes'],
      always: true,
      version: '3',
    })
  })

  test('a byte-order mark before the frontmatter is dropped', () => {
    const { skill } = parseAt('bom-skill', '\uFEFF---\nname: bom-skill\ndescription: Use when testing marks.\n---\nx\n')
    expect(skill?.name).toBe('bom-skill')
  })

  test('a name that differs from its folder is an error at the name line, with both fixes', () => {
    const result = parseAt('spectra', '---\ndescription: Use when spectra.\nname: spectrum-helper\n---\nx\n')
    expect(result.skill).toBeUndefined()
    expect(errorsOf(result)).toEqual([
      expect.objectContaining({
        line: 3,
        field: 'name',
        problem: 'name "spectrum-helper" differs from its folder "spectra"',
        fix: 'rename the folder to "spectrum-helper", or set "name: spectra"',
      }),
    ])
  })

  test.each([
    ['Upper-Case', /lower-case letters, digits and single hyphens/],
    ['double--hyphen', /single hyphens/],
    ['-leading', /not starting or ending/],
    ['trailing-', /not starting or ending/],
    ['x'.repeat(65), /longer than 64/],
  ])('the name %j is rejected', (name, message) => {
    const result = parseAt(name, `---\nname: ${name}\ndescription: Use when testing.\n---\nx\n`)
    expect(errorsOf(result)[0]?.problem).toMatch(message)
  })

  test('every problem is listed at once, each with its line, field and fix', () => {
    const result = parseAt(
      'broken',
      '---\nname: broken\nrole: coder\nversion: 2\ncompatibility: ' + 'y'.repeat(501) + '\n---\nx\n',
    )
    const list = errorsOf(result).map((p) => [p.line, p.field, p.problem])
    expect(list).toEqual([
      [2, 'description', 'description is required: what the skill does and when to use it'],
      [5, 'compatibility', 'compatibility is longer than 500 characters'],
      [3, 'role', 'role must be driver or navigator'],
    ])
    for (const problem of errorsOf(result)) expect(problem.fix.length).toBeGreaterThan(0)
  })

  test('a description over 1024 characters is an error; an unknown field only a warning', () => {
    const long = parseAt('long', `---\nname: long\ndescription: ${'z'.repeat(1025)}\n---\nx\n`)
    expect(errorsOf(long)[0]).toMatchObject({
      field: 'description',
      problem: 'description is longer than 1024 characters',
    })
    const extra = parseAt('extra', '---\nname: extra\ndescription: Use when testing.\ntriggers: [a, b]\n---\nx\n')
    expect(extra.skill?.name).toBe('extra')
    expect(extra.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        line: 4,
        field: 'triggers',
        fix: expect.stringContaining('metadata'),
      }),
    ])
  })

  test.each([
    ['no frontmatter', '# Just a heading\n', /no YAML frontmatter/],
    ['an empty file', '', /no YAML frontmatter/],
    ['broken YAML', '---\nname: [x\n---\nbody\n', /does not parse/],
    [
      'an unquoted colon',
      '---\nname: x\ndescription: Spectra: with Welch\n---\nbody\n',
      /does not parse: Nested mappings/,
    ],
    ['binary bytes', Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe]), /not a text file/],
  ])('%s is an error naming the file', (_name, text, pattern) => {
    const result = parseAt('x', text)
    expect(result.skill).toBeUndefined()
    expect(errorsOf(result)[0]?.problem).toMatch(pattern)
    expect(errorsOf(result)[0]?.file).toMatch(/skills\/x\/SKILL\.md$/)
  })

  test('a body beyond the format’s guideline (500 lines or 5 000 words) loads with a warning', () => {
    const result = parseAt(
      'wordy',
      `---\nname: wordy\ndescription: Use when testing.\n---\n${'a line of text\n'.repeat(600)}`,
    )
    expect(result.skill?.name).toBe('wordy')
    expect(result.problems).toEqual([
      expect.objectContaining({ severity: 'warning', problem: expect.stringMatching(/600 lines/) }),
    ])
  })
})

describe('loading a skills folder', () => {
  const good = (name: string, extra = '') =>
    `---\nname: ${name}\ndescription: Use when testing ${name}.${extra}\n---\nNotes for ${name}.\n`

  test('a 2 MB SKILL.md is refused without reading it; the other skills still load; the cap is configurable', () => {
    const huge = `---\nname: huge\ndescription: Use when testing size.\n---\n${'word '.repeat(420_000)}\n`
    const dir = tree({ 'huge/SKILL.md': huge, 'small/SKILL.md': good('small') })
    const set = loadSkills(dir)
    expect(set.skills.map((s) => s.name)).toEqual(['small'])
    expect(set.invalid).toEqual([{ name: 'huge', file: expect.stringContaining('huge/SKILL.md') }])
    expect(set.problems[0]?.problem).toMatch(/the SKILL.md is 2051 KB, over the 64 KB limit/)
    const raised = loadSkills(dir, { maxBytes: 4 * 1024 * 1024 })
    expect(raised.skills.map((s) => s.name)).toEqual(['huge', 'small'])
    expect(raised.problems).toEqual([expect.objectContaining({ severity: 'warning', field: 'body' })])
  })

  test('skills at any depth; a navigator/ folder implies the role; two skills with one name are both errors', () => {
    const dir = tree({
      'driver/a/SKILL.md': good('a'),
      'navigator/checks/SKILL.md': good('checks'),
      'team/x/dup/SKILL.md': good('dup'),
      'team/y/dup/SKILL.md': good('dup'),
    })
    const set = loadSkills(dir)
    expect(set.skills.map((s) => [s.name, s.role])).toEqual([
      ['a', 'driver'],
      ['checks', 'navigator'],
    ])
    expect(set.problems.filter((p) => p.severity === 'error').map((p) => p.problem)).toEqual([
      expect.stringMatching(/two skills are named "dup"/),
      expect.stringMatching(/two skills are named "dup"/),
    ])
  })

  test('references/, scripts/ and assets/ are listed and read only from inside the skill folder', () => {
    const dir = tree({
      'helper/SKILL.md': good('helper'),
      'helper/references/units.md': '# Units\nms and Hz.\n',
      'helper/scripts/check.py': 'print(1)\n',
      'helper/assets/.hidden': 'no',
      'outside.txt': 'secret',
    })
    symlinkSync(path.join(dir, 'outside.txt'), path.join(dir, 'helper/references/link.md'))
    const set = loadSkills(dir)
    const helper = set.skills[0] as Skill
    expect(helper.resources.map((r) => r.path)).toEqual(['references/units.md', 'scripts/check.py'])
    expect(set.problems).toEqual([
      expect.objectContaining({ severity: 'warning', problem: 'is a symbolic link; it is not offered' }),
    ])
    expect(readSkillResource(helper, 'references/units.md')).toEqual({ ok: true, text: '# Units\nms and Hz.\n' })
    for (const attempt of ['references/link.md', '../outside.txt', '/etc/passwd', 'SKILL.md']) {
      expect(readSkillResource(helper, attempt).ok, attempt).toBe(false)
    }
  })
})

describe('selection', () => {
  test('specific keywords (phrases, identifiers, acronyms) offer a skill; plain words only add to its score', () => {
    expect(['power spectrum', 'HeunStochastic', 'tau0', 'J_NMDA', 'sim.run', 'BOLD'].map(isSpecificKeyword)).toEqual(
      Array(6).fill(true),
    )
    expect(['Cortex', 'plot', 'noise', 'Bold', 'connectivity'].map(isSpecificKeyword)).toEqual(Array(5).fill(false))
    expect(keywordHits(['dt', 'map', 'Bold'], 'set the width; a BOLD signal; the bitmap')).toEqual(['Bold'])
    expect(keywordHits(['BOLD'], 'a bold claim')).toEqual([]) // acronyms are case-sensitive
    expect(keywordHits(['sim.run'], 'call sim.run() once')).toEqual(['sim.run'])
  })

  test('"Cortex" as a keyword does not offer a surface-simulation skill to a goal about the visual cortex', () => {
    const surface: Skill = {
      ...skills[0]!,
      name: 'tvb-surface-simulation',
      description: 'Simulate on a cortical surface mesh with local connectivity. Use for surface-based simulations.',
      keywords: ['Cortex', 'surface', 'LocalConnectivity', 'region mapping'],
      body: 'Build a cortex.Cortex from a surface and a region mapping; add a LocalConnectivity kernel.',
    }
    const visual = 'Goal: Alpha in the visual cortex\nSimulate a Generic2dOscillator network and compare rV1 with rM1.'
    const chosen = names(selectSkills([...skills, surface], { query: visual, budgetTokens: 10_000 }))
    expect(chosen).not.toContain('tvb-surface-simulation')
    const meshGoal = 'Goal: A surface simulation\nUse a LocalConnectivity kernel on the cortical surface mesh.'
    expect(names(selectSkills([...skills, surface], { query: meshGoal, budgetTokens: 10_000 }))).toContain(
      'tvb-surface-simulation',
    )
  })

  test('the concept table joins a goal’s words to a skill’s ("random input" ~ stochastic, "spectra" ~ Welch)', () => {
    expect(terms('The input p is random')).toContain('#noise')
    expect(terms('HeunStochastic with nsig')).toEqual(expect.arrayContaining(['#noise']))
    expect(terms('compare the power spectra')).toContain('#spectrum')
    expect(terms("the paper's constants as written")).toEqual(expect.arrayContaining(['#notation']))
    const scores = bm25('bold haemodynamic period', [
      'bold monitor period haemodynamic',
      'welch spectrum alpha',
      'monitor period',
    ])
    expect(scores[0]).toBeGreaterThan(scores[2]!)
    expect(scores[1]).toBe(0)
  })

  test('a goal that names noise gets the noise skill; one written in paper notation gets the mapping skill', () => {
    const noisy = 'Goal: Fluctuations\nDrive each region with weak stochastic input and compare with a noiseless run.'
    expect(names(selectSkills(skills, { query: noisy, budgetTokens: 10_000 }))).toContain('tvb-noise-integrators')
    const paper =
      'Goal: A paper model\nUse the Epileptor with x0 = -2.0 and tau0 = 4000, I_ext1 = 3.1, as in the paper.'
    expect(names(selectSkills(skills, { query: paper, budgetTokens: 10_000 }))).toContain('tvb-parameter-mapping')
  })

  test('each seed goal gets the skills it needs and not the generic ones, in a deterministic order', () => {
    const select = (relative: string) =>
      names(selectSkills(skills, { query: queryOf(goal(relative)), budgetTokens: 10_000 }))
    expect(select('tutorial/analyze_power_spectra.GOAL.md')).toEqual(
      expect.arrayContaining(['tvb-psd-analysis', 'tvb-simulator', 'tvb-noise-integrators']),
    )
    expect(select('tutorial/bold_monitor.GOAL.md')).toEqual(expect.arrayContaining(['tvb-monitors', 'tvb-simulator']))
    expect(select('tutorial/stochastic_vs_deterministic.GOAL.md')).toContain('tvb-noise-integrators')
    expect(select('abstract/connectome_summary.GOAL.md')).toEqual(['tvb-connectivity'])
    for (const relative of ['tutorial/analyze_power_spectra.GOAL.md', 'tutorial/bold_monitor.GOAL.md']) {
      expect(select(relative)).not.toContain('notebook-structure')
    }
    const query = queryOf(goal('tutorial/analyze_power_spectra.GOAL.md'))
    expect(selectSkills(skills, { query, budgetTokens: 10_000 }).chosen).toEqual(
      selectSkills([...skills].reverse(), { query, budgetTokens: 10_000 }).chosen,
    )
  })

  test('an unrelated goal gets nothing, not everything', () => {
    const haiku = selectSkills(skills, { query: 'Write a haiku about autumn leaves.', budgetTokens: 10_000 })
    expect(names(haiku)).toEqual([])
    expect(haiku.considered.every((c) => !c.offered && /score below/.test(c.why))).toBe(true)
  })

  test('the budget trims lower-ranked skills and says why; always-include skills come first', () => {
    const query = queryOf(goal('tutorial/analyze_power_spectra.GOAL.md'))
    const selection = selectSkills(skills, { query, budgetTokens: 700, always: ['notebook-structure'] })
    expect(selection.chosen[0]).toMatchObject({ reason: 'always', skill: { name: 'notebook-structure' } })
    expect(selection.usedTokens).toBeLessThanOrEqual(700)
    expect(selection.dropped.length).toBeGreaterThan(0)
    expect(selection.dropped[0]?.why).toMatch(/over the 700-token budget/)
  })
})

describe('the prompt', () => {
  const model = loadModels(path.join(ROOT, 'models.yaml')).find((m) => m.name === 'smollm2-135m')!
  const withSkills = { name: 'with_skills', skills: 'select' as const }

  test('logs offered skills with role, bytes, tokens and reasons, and respects a small context window', () => {
    const settings = resolveSettings({}, ROOT, {})
    const g = goal('tutorial/analyze_power_spectra.GOAL.md')
    const big = planPrompt(g, withSkills, settings, { ...model, context_window: 32_768 })
    const tiny = planPrompt(g, withSkills, settings, { ...model, context_window: 2_048 })
    expect(big.skills.length).toBeGreaterThan(tiny.skills.length)
    expect(big.skills[0]).toMatchObject({
      name: expect.any(String),
      role: 'driver',
      bytes: expect.any(Number),
      tokens: expect.any(Number),
      reason: expect.any(String),
    })
    expect(tiny.droppedSkills.length).toBeGreaterThan(0)
    expect(big.messages[0]?.content).toContain(`## ${big.skills[0]?.name}`)
  })

  const project = () =>
    tree({
      'driver/spectra-helper/SKILL.md':
        '---\nname: spectra-helper\ndescription: Power spectra with Welch. Use whenever a task asks for a spectrum.\n---\nDRIVER-NOTE: use axis=0.\n',
      'navigator/spectra-review/SKILL.md':
        '---\nname: spectra-review\ndescription: Review checklist for power spectra. Use when reviewing a spectrum.\n---\nNAVIGATOR-NOTE: is the resolution reported?\n',
      'driver/Bad_Skill/SKILL.md': '---\nname: Bad_Skill\n---\nbody\n',
    })
  const spectrumGoal = parseGoal(
    '# Goal: A spectrum\n\nCompute the power spectrum with Welch, and have it reviewed: is the spectrum right?\n',
    path.join(ROOT, 'benchmarks/tutorial/s.GOAL.md'),
  )

  test('navigator skills never reach a single-shot model; a bad skill fails the plan, or is skipped and recorded', () => {
    if (!spectrumGoal.ok) throw spectrumGoal.error
    const skillsDir = project()
    const failing = resolveSettings({ skillsDir }, ROOT, {})
    expect(() => planPrompt(spectrumGoal.goal, withSkills, failing, model)).toThrow(
      /problem\(s\) in SKILL.md files:\n.*Bad_Skill\/SKILL.md:2:1: name: name must be lower-case/,
    )
    const skipping = resolveSettings({ skillsDir, skills: { onError: 'skip' } }, ROOT, {})
    const plan = planPrompt(spectrumGoal.goal, withSkills, skipping, model)
    expect(plan.skills.map((s) => s.name)).toEqual(['spectra-helper'])
    expect(plan.droppedSkills).toEqual([
      expect.objectContaining({ name: 'spectra-review', why: expect.stringContaining('runs single-shot') }),
    ])
    expect(plan.skippedSkills).toEqual([
      {
        name: 'Bad_Skill',
        file: expect.stringContaining('Bad_Skill/SKILL.md'),
        why: expect.stringContaining('description is required'),
      },
    ])
    expect(plan.messages[0]?.content).toContain('DRIVER-NOTE')
    expect(JSON.stringify(plan.messages)).not.toContain('NAVIGATOR-NOTE')
    expect(plan.navigatorSkillText).toBe('')

    const agent = { ...model, name: 'agent', strategy: 'driver-navigator' as const }
    const paired = planPrompt(spectrumGoal.goal, withSkills, skipping, agent)
    expect(paired.skills.map((s) => [s.name, s.role])).toEqual(
      expect.arrayContaining([
        ['spectra-helper', 'driver'],
        ['spectra-review', 'navigator'],
      ]),
    )
    expect(paired.navigatorSkillText).toContain('NAVIGATOR-NOTE')
    expect(paired.skillText).not.toContain('NAVIGATOR-NOTE')
  })
})

describe('skills tell the truth about the pinned TVB', () => {
  // every class and parameter a skill names, and every Python block it shows: test/lint.test.ts
  test('the parameter-mapping table names real attributes with their real defaults', async () => {
    const body = skills.find((s) => s.name === 'tvb-parameter-mapping')!.body
    const classOf: Record<string, string> = {
      'Jansen-Rit': 'JansenRit',
      Epileptor: 'Epileptor',
      'Wong-Wang': 'ReducedWongWang',
    }
    const rows: { cls: string; attrs: string[]; defaults: number[] }[] = []
    for (const line of body.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| paper'))) {
      const [paper = '', tvb = '', defaults = ''] = line
        .split('|')
        .slice(1)
        .map((c) => c.trim())
      const cls = Object.entries(classOf).find(([prefix]) => paper.startsWith(prefix))?.[1]
      if (!cls) continue
      const attrs = [...tvb.matchAll(/`([^`]+)`/g)].flatMap(([, code]) => {
        const call = /^\w+\(([^)]*)\)$/.exec(code!)
        return call ? [...call[1]!.matchAll(/(\w+)=/g)].map((m) => m[1]!) : [/^\w+/.exec(code!)![0]]
      })
      rows.push({ cls, attrs, defaults: (defaults.match(/-?\d+(\.\d+)?/g) ?? []).map(Number) })
    }
    expect(rows.length).toBeGreaterThanOrEqual(10)
    const checked = await python(
      `import json, numpy as np\nfrom tvb.simulator.lab import models\nrows = ${JSON.stringify(rows)}\nout = []\nfor r in rows:\n    m = getattr(models, r['cls'])()\n    for i, a in enumerate(r['attrs']):\n        if not hasattr(m, a): out.append(f"{r['cls']}.{a} missing")\n        elif len(r['attrs']) == len(r['defaults']) and not np.isclose(float(np.ravel(getattr(m, a))[0]), r['defaults'][i], rtol=0.02): out.append(f"{r['cls']}.{a} default {float(np.ravel(getattr(m, a))[0])} != {r['defaults'][i]}")\nprint(json.dumps(out))`,
    )
    expect(JSON.parse(checked.trim().split('\n').at(-1)!)).toEqual([])
  })
})
