import type { TrialView } from '../results/schema.ts'
import type { TrialScore } from './stats.ts'

/**
 * The records of a run grouped once, in one pass, as every table needs them: model → condition →
 * goal → that cell's trial scores under one metric. Everything downstream works on these per-goal
 * lists (and the statistics on per-goal summaries), never on the records again.
 */

export interface ConditionCells {
  goals: Map<string, TrialScore[]>
  /** Trials that were not infrastructure failures, and how many of them ran every cell cleanly. */
  counted: number
  clean: number
  /** Real skills were offered to (some of) this condition's trials: a "with skills" arm. */
  skills: boolean
}

export interface ModelCells {
  params: number | null
  conditions: Map<string, ConditionCells>
}

export type Cells = Map<string, ModelCells>

/** Whether a trial was offered real skills (a placebo offers none); older records: by condition name. */
export const offeredSkills = (record: TrialView): boolean =>
  record.prompt ? record.prompt.skills.length > 0 && !record.prompt.placebo : record.condition === 'with_skills'

export function groupRecords(records: TrialView[], score: (r: TrialView) => TrialScore | undefined): Cells {
  const cells: Cells = new Map()
  for (const record of records) {
    const value = score(record)
    if (value === undefined) continue // this metric does not apply to the trial
    let model = cells.get(record.model.name)
    if (!model) cells.set(record.model.name, (model = { params: record.model.params, conditions: new Map() }))
    let condition = model.conditions.get(record.condition)
    if (!condition) {
      condition = { goals: new Map(), counted: 0, clean: 0, skills: false }
      model.conditions.set(record.condition, condition)
    }
    let goal = condition.goals.get(record.goal.id)
    if (!goal) condition.goals.set(record.goal.id, (goal = []))
    goal.push(value)
    if (record.status !== 'infra_error') {
      condition.counted += 1
      if (record.execution?.status === 'ok') condition.clean += 1
    }
    if (offeredSkills(record)) condition.skills = true
  }
  return cells
}

/** Models in name order; a model's conditions with the baseline first, then by name. */
export function sortedCells(cells: Cells, baseline: string): [string, ModelCells, [string, ConditionCells][]][] {
  return [...cells]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, model]) => [
      name,
      model,
      [...model.conditions].sort(([a], [b]) => Number(b === baseline) - Number(a === baseline) || a.localeCompare(b)),
    ])
}
