import { readFileSync } from 'node:fs'
import path from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import type { ModelSpec } from '../config/models.ts'
import type { Condition, Settings } from '../config/settings.ts'
import { parseGoal } from '../goal/parse.ts'
import type { Goal } from '../goal/schema.ts'
import { strategyOf } from '../models/providers/index.ts'
import { loadSkills } from '../skills/load.ts'
import { planPrompt } from '../trial/prompt.ts'
import { fixed, terminalTable } from './table.ts'

/**
 * Skill selection, measured: a labelled set (for each goal, the skills an expert would offer) and
 * the recall and precision of what the selection offers at each model's budget — the figures a
 * change to selection or to a skill's description must not make worse.
 */

const RelevanceSetSchema = z
  .object({
    goals: z
      .array(
        z
          .object({
            /** A goal file, relative to the set's YAML. */
            goal: z.string().min(1),
            /** The skills an expert would offer for it (may be empty). */
            skills: z.array(z.string().min(1)).default([]),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()

export interface RelevanceCase {
  /** The goal file, relative to the working directory. */
  file: string
  goal: Goal
  expected: string[]
}

/** Load a relevance set; every problem (YAML, a goal that does not parse, an unknown skill) is listed at once. */
export function loadRelevanceSet(file: string, settings: Settings): RelevanceCase[] {
  const counter = new LineCounter()
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter })
  const problems: string[] = doc.errors.map((e) => `${file}:${e.linePos?.[0].line ?? 1}: ${e.message}`)
  const parsed = RelevanceSetSchema.safeParse(doc.toJS())
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${file}: ${issue.path.join('.')}: ${issue.message}`)
  }
  if (problems.length || !parsed.success) throw new Error(problems.join('\n'))
  const known = new Set(
    loadSkills(settings.skillsDir, { maxBytes: settings.skills.maxBytes }).skills.map((s) => s.name),
  )
  const cases: RelevanceCase[] = []
  parsed.data.goals.forEach((entry, index) => {
    const where = `${file}: goals.${index}`
    const goalFile = path.resolve(path.dirname(file), entry.goal)
    let input: Buffer
    try {
      input = readFileSync(goalFile)
    } catch (error) {
      return void problems.push(`${where}: cannot read ${entry.goal} (${(error as NodeJS.ErrnoException).code})`)
    }
    const result = parseGoal(input, goalFile, { tiers: settings.tiers, root: settings.root })
    if (!result.ok) return void problems.push(...result.errors.map((e) => `${where}: ${e.message}`))
    const unknown = entry.skills.filter((name) => !known.has(name))
    if (unknown.length) problems.push(`${where}: no skill named ${unknown.join(', ')} under ${settings.skillsDir}`)
    cases.push({ file: path.relative(process.cwd(), goalFile), goal: result.goal, expected: entry.skills })
  })
  if (problems.length) throw new Error(problems.join('\n'))
  return cases
}

export interface SelectionScore {
  model: string
  contextWindow: number
  strategy: string
  goals: number
  budget: { min: number; max: number }
  /** Offered ∩ labelled, offered, and labelled (skills the model can be given), summed over goals. */
  hits: number
  offered: number
  relevant: number
  recall: number
  precision: number
  f1: number
  perSkill: { skill: string; labelled: number; offered: number; hits: number }[]
  perGoal: { file: string; expected: string[]; offered: string[]; missed: string[]; extra: string[] }[]
}

const WITH_SKILLS: Condition = { name: 'with_skills', skills: 'select' }

/** Select skills for every case at `model`'s budget, as a `with_skills` trial would, and score the choice. */
export function scoreSelection(cases: RelevanceCase[], settings: Settings, model: ModelSpec): SelectionScore {
  const skills = loadSkills(settings.skillsDir, { maxBytes: settings.skills.maxBytes }).skills
  // a single-shot model has no navigator: navigator skills are not its to miss
  const offerable = new Set(
    skills.filter((s) => s.role === 'driver' || strategyOf(model) !== 'single-shot').map((s) => s.name),
  )
  const perSkill = new Map<string, { labelled: number; offered: number; hits: number }>(
    skills.map((s) => [s.name, { labelled: 0, offered: 0, hits: 0 }]),
  )
  const budgets: number[] = []
  const perGoal = cases.map(({ file, goal, expected }) => {
    const plan = planPrompt(goal, WITH_SKILLS, settings, model)
    budgets.push(plan.skillBudgetTokens)
    const offered = plan.skills.map((s) => s.name)
    const relevant = expected.filter((name) => offerable.has(name))
    for (const name of relevant) perSkill.get(name)!.labelled += 1
    for (const name of offered) {
      const entry = perSkill.get(name)!
      entry.offered += 1
      if (relevant.includes(name)) entry.hits += 1
    }
    return {
      file,
      expected: relevant,
      offered,
      missed: relevant.filter((name) => !offered.includes(name)),
      extra: offered.filter((name) => !relevant.includes(name)),
    }
  })
  const hits = perGoal.reduce((sum, g) => sum + g.offered.length - g.extra.length, 0)
  const offered = perGoal.reduce((sum, g) => sum + g.offered.length, 0)
  const relevant = perGoal.reduce((sum, g) => sum + g.expected.length, 0)
  const recall = relevant ? hits / relevant : 1
  const precision = offered ? hits / offered : 1
  return {
    model: model.name,
    contextWindow: model.context_window,
    strategy: strategyOf(model),
    goals: cases.length,
    budget: { min: Math.min(...budgets), max: Math.max(...budgets) },
    hits,
    offered,
    relevant,
    recall,
    precision,
    f1: recall + precision ? (2 * recall * precision) / (recall + precision) : 0,
    perSkill: [...perSkill].map(([skill, counts]) => ({ skill, ...counts })),
    perGoal,
  }
}

export function formatSelectionScores(scores: SelectionScore[], detailed = true): string {
  const overview = terminalTable([
    ['model', 'context', 'skill budget (tokens)', 'recall', 'precision', 'F1', 'offered / labelled'],
    ...scores.map((s) => [
      s.model,
      String(s.contextWindow),
      s.budget.min === s.budget.max ? String(s.budget.min) : `${s.budget.min}–${s.budget.max}`,
      fixed(s.recall),
      fixed(s.precision),
      fixed(s.f1),
      `${s.offered} / ${s.relevant}`,
    ]),
  ])
  const first = scores[0]
  if (!detailed || !first) return overview
  const skills = terminalTable([
    ['skill', 'labelled', 'offered', 'correct', 'recall', 'precision'],
    ...first.perSkill.map((s) => [
      s.skill,
      String(s.labelled),
      String(s.offered),
      String(s.hits),
      s.labelled ? fixed(s.hits / s.labelled) : '—',
      s.offered ? fixed(s.hits / s.offered) : '—',
    ]),
  ])
  const wrong = first.perGoal
    .filter((g) => g.missed.length || g.extra.length)
    .map(
      (g) =>
        `  ${g.file}: ${[
          g.missed.length ? `missed ${g.missed.join(', ')}` : '',
          g.extra.length ? `extra ${g.extra.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ')}`,
    )
  return [
    overview,
    '',
    `per skill (${first.model}):`,
    skills,
    '',
    `goals with a miss or an extra (${first.model}): ${wrong.length} of ${first.goals}`,
    ...wrong,
  ].join('\n')
}
