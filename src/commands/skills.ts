import { readFileSync } from 'node:fs'
import path from 'node:path'
import { loadModels, type ModelSpec } from '../harness/config/models.ts'
import type { Condition, Settings } from '../harness/config/settings.ts'
import { parseGoal } from '../harness/goal/parse.ts'
import { strategyOf } from '../harness/models/providers/index.ts'
import {
  formatSelectionScores,
  loadRelevanceSet,
  scoreSelection,
  type SelectionScore,
} from '../harness/report/selection-quality.ts'
import { fixed, terminalTable } from '../harness/report/table.ts'
import { formatSkillProblem, loadSkills, type SkillProblem } from '../harness/skills/load.ts'
import { estimateTokens } from '../harness/skills/select.ts'
import { planPrompt, selectionQuery, usableSkills } from '../harness/trial/prompt.ts'

/**
 * `skilldelta skills [--json]`: every skill, validated as a run's global setup validates it (exit 1
 * listing every problem); `skills select <GOAL.md>`: what a trial would be offered, and why;
 * `skills eval`: recall and precision of the selection on a labelled relevance set.
 */

const problemJson = (p: SkillProblem) => ({ ...p })

export function listSkills(settings: Settings, json: boolean): number {
  const set = loadSkills(settings.skillsDir, { maxBytes: settings.skills.maxBytes })
  const errors = set.problems.filter((p) => p.severity === 'error')
  if (json) {
    const skills = set.skills.map((s) => ({
      name: s.name,
      role: s.role,
      description: s.description,
      keywords: s.keywords,
      always: s.always,
      version: s.version ?? null,
      file: path.relative(process.cwd(), s.file),
      bytes: s.bytes,
      tokens: estimateTokens(s.body),
      resources: s.resources,
    }))
    process.stdout.write(
      `${JSON.stringify({ skills, invalid: set.invalid, problems: set.problems.map(problemJson) }, null, 2)}\n`,
    )
    return errors.length ? 1 : 0
  }
  const where = path.relative(process.cwd(), settings.skillsDir) || settings.skillsDir
  if (set.skills.length === 0 && set.invalid.length === 0) {
    console.error(`no SKILL.md under ${where}`)
    return 1
  }
  const short = (text: string) => (text.length > 70 ? `${text.slice(0, 69)}…` : text)
  console.log(
    terminalTable([
      ['skill', 'role', 'tokens', 'files', 'description'],
      ...set.skills.map((s) => [
        `${s.name}${s.always ? ' (always)' : ''}`,
        s.role,
        String(estimateTokens(s.body)),
        String(s.resources.length),
        short(s.description.replace(/\s+/g, ' ')),
      ]),
    ]),
  )
  const invalid = set.invalid.length
    ? `; ${set.invalid.length} with errors (${set.invalid.map((s) => s.name).join(', ')})`
    : ''
  console.log(`\n${set.skills.length} valid skill(s) under ${where}${invalid}`)
  const warnings = set.problems.filter((p) => p.severity === 'warning')
  if (warnings.length) console.log(`\n${warnings.length} warning(s):\n${warnings.map(formatSkillProblem).join('\n')}`)
  if (errors.length === 0) return 0
  console.error(`\n${errors.length} problem(s):\n${errors.map(formatSkillProblem).join('\n')}`)
  return 1
}

function pickModel(settings: Settings, name: string | undefined): ModelSpec {
  const models = loadModels(settings.modelsFile)
  const model = name ? models.find((m) => m.name === name) : models[0]
  if (!model) {
    const file = path.relative(process.cwd(), settings.modelsFile)
    const known = models.map((m) => m.name).join(', ')
    throw new Error(name ? `no model "${name}" in ${file} (models: ${known})` : `no models in ${file}`)
  }
  return model
}

function pickCondition(settings: Settings, name: string | undefined): Condition {
  if (name) {
    const condition = settings.conditions.find((c) => c.name === name)
    if (!condition) {
      throw new Error(`no condition "${name}" (conditions: ${settings.conditions.map((c) => c.name).join(', ')})`)
    }
    return condition
  }
  return settings.conditions.find((c) => c.skills !== 'none') ?? { name: 'with_skills', skills: 'select' }
}

export function selectCommand(
  settings: Settings,
  file: string,
  options: { model?: string; condition?: string; json: boolean },
): number {
  let input: Buffer
  try {
    input = readFileSync(file)
  } catch (error) {
    throw new Error(`cannot read ${file} (${(error as NodeJS.ErrnoException).code})`)
  }
  const parsed = parseGoal(input, path.resolve(file), { tiers: settings.tiers, root: settings.root })
  if (!parsed.ok) {
    console.error(parsed.errors.map((e) => e.message).join('\n'))
    return 1
  }
  const { goal } = parsed
  const model = pickModel(settings, options.model)
  const condition = pickCondition(settings, options.condition)
  if (condition.skills === 'none') {
    console.log(`condition "${condition.name}" offers no skills`)
    return 0
  }
  const plan = planPrompt(goal, condition, settings, model)
  const { set } = usableSkills(settings, condition)
  const candidates = plan.candidates ?? []
  if (options.json) {
    const out = {
      goal: { id: goal.id, file: goal.file },
      model: { name: model.name, contextWindow: model.context_window, strategy: strategyOf(model) },
      condition: condition.name,
      budgetTokens: plan.skillBudgetTokens,
      usedTokens: plan.skills.reduce((sum, s) => sum + s.tokens, 0),
      offered: plan.skills,
      dropped: plan.droppedSkills,
      notOffered: candidates.filter((c) => !c.offered),
      skipped: plan.skippedSkills,
    }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
    return 0
  }
  const budget =
    plan.skillBudgetTokens < 0 ? 'none (on-demand delivery lists names only)' : `${plan.skillBudgetTokens} tokens`
  const used = plan.skills.reduce((sum, s) => sum + s.tokens, 0)
  const answer = model.generation.max_tokens ?? 4096
  const offers = Array.isArray(condition.skills) ? condition.skills.join(', ') : condition.skills
  console.log(
    [
      `goal       ${goal.id}  (${goal.file})`,
      `model      ${model.name}: context ${model.context_window} tokens, answer ${answer}, ${strategyOf(model)}`,
      `condition  ${condition.name} (skills: ${offers}${condition.delivery ? `, delivery ${condition.delivery}` : ''})`,
      `budget     ${budget}; offered ${used} tokens (${fixed(used / Math.max(1, plan.skillBudgetTokens), 2)} of it)`,
      `query      ${estimateTokens(selectionQuery(goal))} tokens of goal text; ${set.skills.length} skills considered`,
    ].join('\n'),
  )
  const detail = new Map(candidates.map((c) => [c.name, c]))
  const rows = (names: { name: string; tokens: number }[], why: (name: string) => string) =>
    names.map(({ name, tokens }) => {
      const c = detail.get(name)
      return [name, c?.role ?? '', c ? fixed(c.score) : '', why(name), String(tokens)]
    })
  const header = ['skill', 'role', 'score', 'why', 'tokens']
  console.log(`\noffered (${plan.skills.length})`)
  if (plan.skills.length) console.log(terminalTable([header, ...rows(plan.skills, (n) => detail.get(n)?.why ?? '')]))
  if (plan.droppedSkills.length) {
    console.log(`\ndropped (${plan.droppedSkills.length})`)
    const why = new Map(plan.droppedSkills.map((d) => [d.name, d.why]))
    console.log(terminalTable([header, ...rows(plan.droppedSkills, (n) => why.get(n) ?? '')]))
  }
  const rest = candidates.filter((c) => !c.offered && !plan.droppedSkills.some((d) => d.name === c.name))
  if (rest.length) {
    console.log(`\nnot offered (${rest.length})`)
    const tokensOf = (name: string) => estimateTokens(set.skills.find((s) => s.name === name)?.body ?? '')
    const listed = rest.map((c) => ({ name: c.name, tokens: tokensOf(c.name) }))
    console.log(terminalTable([header, ...rows(listed, (n) => detail.get(n)?.why ?? '')]))
  }
  if (plan.skippedSkills.length) {
    console.log(`\nskipped: SKILL.md errors (${plan.skippedSkills.length})`)
    for (const s of plan.skippedSkills) console.log(`  ${s.name} (${s.file}): ${s.why}`)
  }
  return 0
}

export const DEFAULT_RELEVANCE_SET = 'benchmarks/selection/relevance.yaml'

export function evalCommand(
  settings: Settings,
  options: { set?: string; models: string[]; json: boolean },
): { code: number; scores: SelectionScore[] } {
  const file = path.resolve(settings.root, options.set ?? DEFAULT_RELEVANCE_SET)
  const cases = loadRelevanceSet(file, settings)
  const all = loadModels(settings.modelsFile)
  const unknown = options.models.filter((name) => !all.some((m) => m.name === name))
  if (unknown.length) throw new Error(`no model named ${unknown.join(', ')} in ${settings.modelsFile}`)
  // by default every model a study would run (fixtures replay scripts: their budget says nothing)
  const models = options.models.length
    ? all.filter((m) => options.models.includes(m.name))
    : all.filter((m) => m.provider !== 'fixture')
  const scores = models.map((model) => scoreSelection(cases, settings, model))
  if (options.json) process.stdout.write(`${JSON.stringify(scores, null, 2)}\n`)
  else {
    const skills = loadSkills(settings.skillsDir).skills.length
    console.log(
      `skill selection on ${path.relative(process.cwd(), file)}: ${cases.length} goals × ${skills} skills, ` +
        `condition with_skills, at each model's budget\n`,
    )
    console.log(formatSelectionScores(scores))
  }
  return { code: 0, scores }
}
