import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { buildAblation, buildReport, formatMarkdown, formatTerminal } from '../src/harness/report/ablation.ts'
import { drawCharts } from '../src/harness/report/chart.ts'
import { verdictOf } from '../src/harness/report/headline.ts'
import { readAblationReport } from '../src/harness/report/schema.ts'
import type { TrialRecord } from '../src/harness/results/schema.ts'
import { readRecordFiles } from '../src/harness/results/store.ts'
import { tempDir } from './helpers.ts'

const dir = tempDir('sd-headline-')
const GOALS = 12

interface Trial {
  model: string
  params: number | null
  condition: string
  goal: number
  score: number
  sample?: number
  skills?: string[]
  delivery?: 'inline' | 'on-demand'
  read?: string[]
  status?: TrialRecord['status']
}

/** A finished trial whose objective score is `score` (a share of 4 checks). */
function trial(t: Trial): TrialRecord {
  const passed = Math.round(t.score * 4)
  const status = t.status ?? 'ok'
  return {
    schema: 'skilldelta.trial/1',
    runId: 'r',
    goal: { id: `g${String(t.goal).padStart(2, '0')}`, hash: 'h', file: 'x.GOAL.md', tier: 'tutorial' },
    model: { name: t.model, provider: 'fixture', requested: t.model, reported: t.model, params: t.params },
    condition: t.condition,
    sample: t.sample ?? 0,
    status,
    stage: 'finished',
    prompt: {
      hash: 'p',
      skills: (t.skills ?? []).map((name) => ({ name, bytes: 100, tokens: 25, reason: 'keywords', score: 1 })),
      droppedSkills: [],
      skillBudgetTokens: 1000,
      ...(t.delivery ? { delivery: t.delivery } : {}),
    },
    ...(t.read ? { loop: { rounds: 1, turns: 2, stopReason: 'accepted', skillsRead: t.read } } : {}),
    checks:
      status === 'generation_failed'
        ? {}
        : Object.fromEntries(
            [0, 1, 2, 3].map((i) => [`c${i}`, { status: i < passed ? ('pass' as const) : ('fail' as const), at: 't' }]),
          ),
    artifacts: { dir: 'x' },
    startedAt: 't',
  }
}

const REFERENCE = (g: number) => (g % 2 ? 0.5 : 0.75)
/** Per-goal difference (small with skills − reference) for each scenario. */
const SCENARIOS: Record<string, (g: number) => number> = {
  beats: () => 0.25,
  reaches: (g) => (g === 10 ? 0.25 : g === 11 ? -0.25 : 0),
  'falls short': () => -0.5,
  undecided: (g) => [-0.5, 0.25, -0.25, 0][g % 4]!,
}

function study(): TrialRecord[] {
  const records: TrialRecord[] = []
  for (let g = 0; g < GOALS; g++) {
    records.push(trial({ model: 'big', params: 1e12, condition: 'zero_shot', goal: g, score: REFERENCE(g) }))
    records.push(trial({ model: 'mid', params: 31e9, condition: 'zero_shot', goal: g, score: REFERENCE(g) }))
    for (const [name, diff] of Object.entries(SCENARIOS)) {
      const model = `small-${name.replace(' ', '-')}`
      records.push(trial({ model, params: 8e9, condition: 'zero_shot', goal: g, score: REFERENCE(g) - 0.25 }))
      const score = REFERENCE(g) + diff(g)
      records.push(trial({ model, params: 8e9, condition: 'with_skills', goal: g, score, skills: ['tvb-simulator'] }))
      // a placebo condition is not "with skills": it gets no headline row
      records.push(trial({ model, params: 8e9, condition: 'placebo_skill', goal: g, score: REFERENCE(g) - 0.25 }))
    }
  }
  return records
}

describe('the headline: small model with skills vs the reference without', () => {
  const records = study()
  const { headline } = buildAblation(records)

  test('the reference defaults to the largest model by params; one row per small model × skills condition', () => {
    expect(headline).toMatchObject({ references: ['big'], chosenBy: 'largest by params', margin: 0.1 })
    // mid has no skills condition, and the placebo is not one: neither gets a row
    expect(headline!.rows.map((r) => `${r.model} · ${r.condition}`)).toEqual([
      'small-beats · with_skills',
      'small-falls-short · with_skills',
      'small-reaches · with_skills',
      'small-undecided · with_skills',
    ])
  })

  test.for(Object.keys(SCENARIOS))('a known effect gives the verdict "%s"', (verdict) => {
    const row = headline!.rows.find((r) => r.model === `small-${verdict.replace(' ', '-')}`)!
    const expected = Array.from({ length: GOALS }, (_, g) => SCENARIOS[verdict]!(g)).reduce((a, b) => a + b) / GOALS
    expect(row.delta.delta).toBeCloseTo(expected, 10)
    expect(row.delta.n).toBe(GOALS)
    expect(row.delta.meanWithout).toBeCloseTo(0.625, 10)
    expect(row.verdict).toBe(verdict)
    expect(row.delta.method).toBe('bootstrap-t')
    // the small model's own gain from the skills: (with − zero_shot) / (1 − zero_shot mean)
    expect(row.gain).toBeCloseTo((expected + 0.25) / (1 - 0.375), 10)
  })

  test('non-inferiority p: tiny when the model clearly reaches, large when it falls short; Holm over the table', () => {
    const p = Object.fromEntries(headline!.rows.map((r) => [r.verdict, r]))
    expect(p.beats!.pNonInferiority).toBeLessThan(0.001)
    expect(p['falls short']!.pNonInferiority).toBeGreaterThan(0.5)
    for (const row of headline!.rows) expect(row.pHolm).toBeGreaterThanOrEqual(row.pNonInferiority)
  })

  test('the verdict rule at the margin', () => {
    expect(verdictOf([0.01, 0.3], 0.1)).toBe('beats')
    expect(verdictOf([-0.05, 0.3], 0.1)).toBe('reaches')
    expect(verdictOf([-0.4, -0.15], 0.1)).toBe('falls short')
    expect(verdictOf([-0.3, 0.05], 0.1)).toBe('undecided')
    expect(verdictOf([-Infinity, Infinity], 0.1)).toBe('undecided')
  })

  test('named reference models (validated against the run), and δ as a share of the judge scale', () => {
    const named = buildAblation(records, { reference: ['mid', 'ghost'], margin: 0.2 }).headline!
    expect(named.references).toEqual(['mid'])
    expect(named.chosenBy).toBe('option')
    expect(named.notes).toEqual(['reference model(s) with no scored trials in this run: ghost'])
    expect(named.rows.every((r) => r.reference === 'mid')).toBe(true)
    expect(named.margin).toBeCloseTo(0.2, 12)
  })

  test('the classic rows: Holm over the table, ICC blank with one sample per cell', () => {
    const { rows } = buildAblation(records)
    const tested = rows.filter((r) => r.delta)
    expect(tested.length).toBe(8) // 4 small models × (with_skills, placebo_skill)
    for (const row of tested) expect(row.pHolm).toBeGreaterThanOrEqual(row.delta!.p)
    expect(tested.every((r) => r.delta!.variance.icc === undefined)).toBe(true)
    expect(rows.find((r) => r.condition === 'placebo_skill')!.skills).toBe(false)
  })

  test('printed in the terminal and Markdown, headline first', () => {
    const markdown = formatMarkdown(buildReport(records))
    expect(markdown.indexOf('Small model with skills vs reference without')).toBe(2)
    expect(markdown).toMatch(
      /\| small-beats \(8B\) · with_skills \| big \(1T\) \| 12 \| 1 \| 0\.88 \| 0\.63 \| \+0\.25 \[\+0\.25, \+0\.25\] \|/,
    )
    expect(markdown).toContain('| beats |')
    expect(markdown).toContain('Holm-adjusted over the 4 comparison(s) of this table (the family)')
    expect(formatTerminal(buildReport(records))).toMatch(/^small model with skills vs reference without/)
  })
})

describe('from ablation.json alone', () => {
  const records = study()

  test('the tables made from the JSON file equal the ones made from the records (infinities included)', () => {
    // one goal only for one model: an unbounded interval and MDE, written as null
    const lonely = [
      trial({ model: 'solo', params: 2e9, condition: 'zero_shot', goal: 0, score: 0.5 }),
      trial({ model: 'solo', params: 2e9, condition: 'with_skills', goal: 0, score: 1, skills: ['a'] }),
    ]
    const report = buildReport([...records, ...lonely])
    const json = JSON.parse(JSON.stringify(report))
    expect(json.rows.find((r: { model: string; delta?: unknown }) => r.model === 'solo' && r.delta).delta.ci).toEqual([
      null,
      null,
    ])
    const read = readAblationReport(json)
    expect(formatMarkdown(read)).toBe(formatMarkdown(report))
    expect(formatTerminal(read)).toBe(formatTerminal(report))
    expect(() => readAblationReport({ ...json, rows: 'x' })).toThrow(/ablation\.json: rows/)
  })

  test('the size chart is drawn from ablation.json with the Δ chart: scores against params, log scale', async () => {
    const file = path.join(dir, 'ablation.json')
    writeFileSync(file, JSON.stringify(buildReport(records)))
    const png = { delta: path.join(dir, 'delta.png'), size: path.join(dir, 'size.png') }
    expect(await drawCharts(file, png)).toEqual([png.delta, png.size])
    for (const chart of [png.delta, png.size]) expect(readFileSync(chart).subarray(1, 4).toString()).toBe('PNG')
    // nothing with params: no size chart
    writeFileSync(
      file,
      JSON.stringify(buildReport(records.map((r) => ({ ...r, model: { ...r.model, params: null } })))),
    )
    const none = { delta: path.join(dir, 'delta-none.png'), size: path.join(dir, 'none.png') }
    expect(await drawCharts(file, none)).toEqual([none.delta])
  })

  test('merged shards give the same headline table, whatever the order of the records', async () => {
    const shards = [0, 1].map((i) => path.join(dir, `shard-${i}`, 'records.jsonl'))
    for (const [i, file] of shards.entries()) {
      mkdirSync(path.dirname(file), { recursive: true })
      const mine = records.filter((r) => (Number(r.goal.id.slice(1)) + r.model.name.length) % 2 === i).reverse()
      writeFileSync(file, mine.map((r) => `${JSON.stringify(r)}\n`).join(''))
    }
    const merged = await readRecordFiles(shards)
    expect(merged.records).toHaveLength(records.length)
    const whole = buildReport(records)
    const sharded = buildReport(merged.records)
    expect(sharded.headline).toEqual(whole.headline)
    expect(sharded.rows).toEqual(whole.rows)
    expect(formatMarkdown(sharded)).toBe(formatMarkdown(whole))
  })
})

describe('per goal, side by side', () => {
  test('goals made worse by skills come first, with every model × condition score and status', () => {
    const records = [
      trial({ model: 'm', params: 1e9, condition: 'zero_shot', goal: 1, score: 0.5 }),
      trial({ model: 'm', params: 1e9, condition: 'with_skills', goal: 1, score: 1, skills: ['s'] }),
      trial({ model: 'm', params: 1e9, condition: 'zero_shot', goal: 2, score: 1 }),
      trial({ model: 'm', params: 1e9, condition: 'with_skills', goal: 2, score: 0, skills: ['s'], sample: 0 }),
      trial({
        model: 'm',
        params: 1e9,
        condition: 'with_skills',
        goal: 2,
        score: 0,
        skills: ['s'],
        sample: 1,
        status: 'generation_failed',
      }),
      trial({ model: 'm', params: 1e9, condition: 'zero_shot', goal: 3, score: 0.25 }),
    ]
    const { grid } = buildReport(records)
    expect(grid.goals.map((g) => g.goal)).toEqual(['g02', 'g01', 'g03'])
    expect(grid.columns.map((c) => c.condition)).toEqual(['zero_shot', 'with_skills'])
    expect(grid.goals[0]!.effects).toEqual({ 'm · with_skills': -1 })
    const markdown = formatMarkdown(buildReport(records))
    expect(markdown).toContain('| Goal | Skills vs baseline | m · zero_shot | m · with_skills |')
    expect(markdown).toContain('| g02 | worse: m · with_skills -1.00 | 1.00 ok | 0.00 gen ok |')
    expect(markdown).toContain('| g01 | better: m · with_skills +0.50 | 0.50 ok | 1.00 ok |')
    expect(markdown).toContain('| g03 | — | 0.25 ok |  |')
  })
})

describe('skill-use telemetry', () => {
  test('on demand: what was read, silent bypass flagged, Δ among trials that read the skills', () => {
    const records: TrialRecord[] = []
    for (let g = 0; g < 6; g++) {
      records.push(trial({ model: 'm', params: 1e9, condition: 'zero_shot', goal: g, score: 0.25 }))
      const onDemand = {
        model: 'm',
        params: 1e9,
        condition: 'skills_on_demand',
        goal: g,
        delivery: 'on-demand' as const,
      }
      // goals 0–3 read the simulator skill and score 0.75; goals 4–5 read nothing and score 0.25
      const read = g < 4 ? ['tvb-simulator'] : []
      records.push(trial({ ...onDemand, score: g < 4 ? 0.75 : 0.25, skills: ['tvb-simulator', 'tvb-monitors'], read }))
      records.push(
        trial({
          model: 'm',
          params: 1e9,
          condition: 'skills_inline',
          goal: g,
          score: 0.5,
          skills: ['x'],
          delivery: 'inline',
        }),
      )
    }
    const { telemetry } = buildReport(records)
    expect(telemetry.rows).toHaveLength(1)
    const row = telemetry.rows[0]!
    expect(row).toMatchObject({ condition: 'skills_on_demand', trials: 6, offered: 2, read: 4, bypass: 2 })
    expect(row.skills).toEqual({ 'tvb-monitors': { offered: 6, read: 0 }, 'tvb-simulator': { offered: 6, read: 4 } })
    expect(row.deltaRead).toMatchObject({ delta: 0.5, n: 4 })
    expect(row.deltaBypass).toMatchObject({ delta: 0, n: 2 })
    expect(telemetry.inline).toEqual([{ model: 'm', condition: 'skills_inline', trials: 6 }])
    const terminal = formatTerminal(buildReport(records))
    expect(terminal).toContain('SILENT BYPASS: m · skills_on_demand: 2 of 6 trial(s) read none of the skills')
    expect(formatMarkdown(buildReport(records))).toContain(
      'Skills in the prompt (inline), so their use cannot be observed',
    )
  })
})
