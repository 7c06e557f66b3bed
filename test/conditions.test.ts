import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { defineSkilldeltaConfig } from '../src/config.ts'
import { loadModels, type ModelSpec } from '../src/harness/config/models.ts'
import { resolveSettings, SkilldeltaOptionsSchema } from '../src/harness/config/settings.ts'
import { parseGoal } from '../src/harness/goal/parse.ts'
import { loadFixtureScript, startFixtureServer } from '../src/harness/models/fixture-server.ts'
import { placeboFor } from '../src/harness/skills/placebo.ts'
import { estimateTokens } from '../src/harness/skills/select.ts'
import { planPrompt } from '../src/harness/trial/prompt.ts'
import { ROOT, tempDir, trial } from './helpers.ts'

const settings = resolveSettings(
  { conditions: ['zero_shot', 'with_skills', 'placebo_skill', 'skills_inline', 'skills_on_demand'] },
  ROOT,
  {},
)
const condition = (name: string) => settings.conditions.find((c) => c.name === name)!
const model = loadModels(path.join(ROOT, 'models.yaml')).find((m) => m.name === 'ministral-14b')!
const goalFile = path.join(ROOT, 'benchmarks/tutorial/analyze_power_spectra.GOAL.md')
const parsed = parseGoal(readFileSync(goalFile, 'utf8'), goalFile)
if (!parsed.ok) throw parsed.error
const goal = parsed.goal

describe('ready conditions', () => {
  test('placebo_skill, skills_inline and skills_on_demand resolve by name', () => {
    expect(settings.conditions.slice(2)).toEqual([
      { name: 'placebo_skill', skills: 'select', placebo: true },
      { name: 'skills_inline', skills: 'select', delivery: 'inline' },
      { name: 'skills_on_demand', skills: 'select', delivery: 'on-demand' },
    ])
    // the defaults are unchanged
    expect(resolveSettings({}, ROOT, {}).conditions.map((c) => c.name)).toEqual([
      'zero_shot',
      'one_shot',
      'with_skills',
    ])
  })

  test('a placebo needs skills to match, delivered inline', () => {
    const parse = (c: object) => SkilldeltaOptionsSchema.safeParse({ conditions: [c] }).success
    expect(parse({ name: 'p', skills: 'all', placebo: true })).toBe(true)
    expect(parse({ name: 'p', skills: 'none', placebo: true })).toBe(false)
    expect(parse({ name: 'p', skills: 'select', placebo: true, delivery: 'on-demand' })).toBe(false)
  })

  test('inline and on demand offer the same selection; on demand keeps the text out of the prompt', () => {
    const inline = planPrompt(goal, condition('skills_inline'), settings, model)
    const onDemand = planPrompt(goal, condition('skills_on_demand'), settings, model)
    expect(onDemand.skills.map((s) => s.name)).toEqual(inline.skills.map((s) => s.name))
    expect(inline).toMatchObject({ delivery: 'inline' })
    expect(onDemand).toMatchObject({ delivery: 'on-demand', skillText: '' })
    expect(onDemand.catalog?.map((s) => s.name)).toEqual(inline.skills.map((s) => s.name))
  })
})

describe('the placebo arm', () => {
  const real = planPrompt(goal, condition('with_skills'), settings, model)
  const placebo = planPrompt(goal, condition('placebo_skill'), settings, model)

  test('the same length and framing as the skills it replaces, none of their content', () => {
    expect(real.skills.length).toBeGreaterThan(1)
    expect(placebo.skillText.length).toBe(real.skillText.length)
    expect(estimateTokens(placebo.skillText)).toBe(estimateTokens(real.skillText))
    expect(placebo.placebo).toEqual({
      tokens: estimateTokens(real.skillText),
      matched: real.skills.map((s) => s.name),
    })
    expect(placebo.skills).toEqual([]) // no real skill was offered
    expect(placebo.messages[0]!.content.length).toBe(real.messages[0]!.content.length)
    expect(placebo.messages[0]!.content).toContain('# Skills\nDomain notes you can rely on:')
    expect(placebo.skillText.split('\n\n## ').length).toBe(real.skills.length) // one section per skill
    expect(placebo.hash).not.toBe(real.hash)
  })

  test('well-formed text that teaches nothing about TVB, simulation or signals; deterministic', () => {
    const text = placeboFor([{ name: 'x', body: 'y'.repeat(20_000) }]).text // every note, and wrapped round
    for (const word of [
      'tvb',
      'brain',
      'neur',
      'simulat',
      'signal',
      'spectr',
      'frequen',
      'noise',
      'monitor',
      'integrat',
      'python',
      'numpy',
      'model',
      'oscillat',
      '```',
    ])
      expect(text.toLowerCase(), word).not.toContain(word)
    expect(text).toMatch(/^## hive-inspection\n# Inspecting a colony\n/)
    expect(text.length).toBe('## x\n'.length + 20_000)
    expect(placeboFor([{ name: 'x', body: 'y'.repeat(20_000) }]).text).toBe(text)
    expect(planPrompt(goal, condition('placebo_skill'), settings, model)).toEqual(placebo)
  })

  test('every length is matched exactly, and a cut never ends inside a word', () => {
    for (const length of [1, 7, 100, 1234, 2999]) {
      const { text } = placeboFor([{ name: 'tvb-monitors', body: 'z'.repeat(length) }])
      expect(text.length).toBe('## tvb-monitors\n'.length + length)
      expect(text.trimEnd()).toMatch(/[.|:)\w]$/)
    }
  })
})

describe('a placebo trial', () => {
  const dir = tempDir('sd-placebo-')
  test('records the placebo it got (no real skill offered), and the model saw the notes', async () => {
    const script = path.join(dir, 'mute.yaml')
    writeFileSync(script, 'replies:\n  - { text: "I cannot write this notebook." }\n')
    const server = await startFixtureServer({ 'fx/mute': loadFixtureScript(script) })
    afterAll(() => server.close())
    const mute: ModelSpec = {
      name: 'mute',
      provider: 'fixture',
      protocol: 'openai',
      model: 'fx/mute',
      script,
      context_window: 32_768,
      concurrency: 1,
      timeout_seconds: 30,
      generation: {},
    }
    const run = { ...settings, runId: 'placebo', resultsDir: path.join(dir, 'results') }
    const outcome = await trial({
      goal,
      model: mute,
      condition: condition('placebo_skill'),
      settings: run,
      fixtureUrl: server.url,
    })
    const expected = planPrompt(goal, condition('placebo_skill'), settings, mute)
    expect(outcome.record).toMatchObject({
      status: 'generation_failed', // failures are statuses
      prompt: { skills: [], delivery: 'inline', placebo: expected.placebo },
    })
    const prompt = readFileSync(path.join(outcome.dir, 'prompt.json'), 'utf8')
    expect(prompt).toContain('## hive-inspection')
    expect(prompt).not.toContain('## tvb-')
  })
})

describe('reference models', () => {
  const models = path.join(ROOT, 'models.yaml')

  test('named in the options, checked against models.yaml', () => {
    expect(() => defineSkilldeltaConfig({ models, reference: ['kimi-k2.6', 'gemma-31b'] })).not.toThrow()
    expect(() => defineSkilldeltaConfig({ models, reference: ['gpt-9'] })).toThrow(
      /reference model\(s\) gpt-9 are not in .*models\.yaml/,
    )
    expect(SkilldeltaOptionsSchema.safeParse({ reference: [] }).success).toBe(false)
    expect(SkilldeltaOptionsSchema.safeParse({ margin: 1.5 }).success).toBe(false)
    expect(resolveSettings({ reference: ['gemma-31b'], margin: 0.2 }, ROOT, {})).toMatchObject({
      reference: ['gemma-31b'],
      margin: 0.2,
    })
  })
})
