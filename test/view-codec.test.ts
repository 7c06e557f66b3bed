import { describe, expect, test } from 'vitest'
import { TrialViewSchema, type TrialView } from '../src/harness/results/schema.ts'
import { BatchDecoder, encodeView, ValueTable } from '../src/harness/results/view-codec.ts'
import { syntheticTrials } from './synthetic-records.ts'

// The index's compact views must decode to exactly the views zod made: every field, present or absent.

/** A batch written and read back the way the index does it: through JSON text. */
function roundTrip(views: TrialView[]): TrialView[] {
  const table = new ValueTable()
  const lines = views.map((view) => JSON.stringify(encodeView(view, table)))
  const decoder = new BatchDecoder(JSON.parse(JSON.stringify(table.values)) as unknown[])
  return lines.map((line) => decoder.decode(JSON.parse(line)))
}

const everything = TrialViewSchema.parse({
  runId: 'r',
  goal: { id: 'g/1', tier: 'tutorial' },
  model: { name: 'm', params: null },
  condition: 'skills_on_demand',
  sample: 3,
  status: 'judge_error',
  stage: 'finished',
  error: 'judge: timed out',
  prompt: { skills: [{ name: 'a' }, { name: 'b' }], delivery: 'on-demand', placebo: { tokens: 120 } },
  loop: { skillsRead: ['a'] },
  generation: { tokensOut: null },
  execution: { status: 'ok' },
  judge: { status: 'error', model: { name: 'j' }, scores: { correctness: 2 }, mean: 2 },
  checks: {
    executes: { kind: 'executes', objective: true, status: 'pass', measured: {} },
    judge_score: { status: 'skip', measured: { judgeUnavailable: { why: 'no key', at: [1, 2] } } },
  },
})

const bare = TrialViewSchema.parse({
  runId: 'r',
  goal: { id: 'g/2', tier: 'core' },
  model: { name: 'm', params: 8e9 },
  condition: 'zero_shot',
  sample: 0,
  status: 'pending',
  loop: {},
  checks: {},
})

describe('the index codec', () => {
  test('every field of a view, present or absent, decodes to what zod made', () => {
    const decoded = roundTrip([everything, bare, everything])
    expect(decoded[0]).toStrictEqual(everything)
    expect(decoded[1]).toStrictEqual(bare)
    expect(decoded[2]).toStrictEqual(everything)
    expect(Object.keys(decoded[1]!)).toEqual(Object.keys(bare))
  })

  test('a synthetic study round-trips, and trials share their values', () => {
    const views = [
      ...syntheticTrials({ goals: 6, models: 2, conditions: ['zero_shot', 'with_skills'], samples: 3, judge: true }),
    ].map((record) => TrialViewSchema.parse(record))
    const table = new ValueTable()
    for (const view of views) encodeView(view, table)
    expect(roundTrip(views)).toStrictEqual(views)
    // far fewer distinct values than fields: what makes the index small and fast to read
    expect(table.values.length).toBeLessThan(views.length * 4)
  })

  test('shared values are frozen: a report cannot change another trial through one', () => {
    const [a, b] = roundTrip([everything, everything])
    expect(a!.goal).toBe(b!.goal)
    expect(() => {
      ;(a!.goal as { id: string }).id = 'changed'
    }).toThrow(TypeError)
    expect(() => {
      ;(a!.checks.executes as { status: string }).status = 'fail'
    }).toThrow(TypeError)
    expect(b!.goal.id).toBe('g/1')
  })

  test('a line this codec did not write is refused, not misread', () => {
    const table = new ValueTable()
    const line = encodeView(bare, table)
    const decoder = new BatchDecoder(table.values)
    expect(() => decoder.decode(line.slice(1))).toThrow(/shape/)
    expect(() => decoder.decode(line.map((ref) => (ref === null ? null : ref + 100)))).toThrow(/not in the batch/)
    expect(() => decoder.decode(line.map((ref) => (ref === null ? null : -1)))).toThrow(/not in the batch/)
    expect(() => decoder.decode({ runId: 'r' })).toThrow()
  })
})
