import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { ModelSpec } from '../config/models.ts'
import { skillsDirOf, type Condition, type Settings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import type { ChatMessage } from '../models/types.ts'
import { strategyOf } from '../models/providers/index.ts'
import { formatSkillProblem, loadSkills, type SkillResource, type SkillSet } from '../skills/load.ts'
import type { SkillRole } from '../skills/schema.ts'
import { placeboFor } from '../skills/placebo.ts'
import { estimateTokens, selectSkills, skillBudget, type Selection } from '../skills/select.ts'

const ROLE_PROMPT = `You are an expert computational neuroscientist. Write a complete Jupyter notebook that \
accomplishes the task below with The Virtual Brain (tvb-library 2.10, Python 3.11). numpy, scipy and matplotlib \
are installed, TVB's default data set is installed, and there is no internet access. The notebook is executed top \
to bottom in a fresh kernel.

Reply with the notebook as ONE Python script in percent format inside a single \`\`\`python block: begin every \
code cell with a line "# %%" and every Markdown cell with "# %% [markdown]" followed by lines commented with "# ".`

interface OfferedSkill {
  name: string
  role: SkillRole
  bytes: number
  tokens: number
  reason: string
  score: number
}

/** A skill an on-demand condition lists: the driver reads its body, and its files, with read_skill. */
export interface CatalogEntry {
  name: string
  description: string
  body: string
  dir: string
  resources: SkillResource[]
}

export interface PromptPlan {
  messages: ChatMessage[]
  /** The task as the model sees it (goal, with the example for one_shot). */
  task: string
  /** The driver's offered skills as Markdown ('' for none, or when delivered on demand). */
  skillText: string
  /** Skills with `role: navigator`, for the navigator's prompt only ('' for none). */
  navigatorSkillText: string
  /** On-demand delivery: the skills listed for read_skill. */
  catalog?: CatalogEntry[]
  hash: string
  /** The real skills offered (none for a placebo). */
  skills: OfferedSkill[]
  /** How skills reach the model, when any (or a placebo) are offered. */
  delivery?: 'inline' | 'on-demand'
  /** Placebo conditions: the estimated tokens of the notes and the skills whose length they match. */
  placebo?: { tokens: number; matched: string[] }
  droppedSkills: { name: string; tokens: number; why: string }[]
  /** Skills left out because their SKILL.md has errors (with `skills.onError: skip`). */
  skippedSkills: { name: string; file: string; why: string }[]
  skillBudgetTokens: number
  /** Every skill considered, with its score and why it was (not) offered: for `skilldelta skills select`. */
  candidates?: Selection['considered']
  example?: string
}

/** The reference notebook for one_shot: the configured file, or the oracle of another goal. */
function exampleFor(goal: Goal, condition: Condition, settings: Settings): string | undefined {
  if (!condition.example) return undefined
  if (condition.example !== 'auto') return path.resolve(settings.root, condition.example)
  if (!existsSync(settings.oraclesDir)) return undefined
  const own = path.basename(goal.file).replace(/\.GOAL\.md$/i, '.py')
  const oracles = readdirSync(settings.oraclesDir).filter((f) => f.endsWith('.py') && f !== own)
  const chosen = settings.examples.find((f) => oracles.includes(f)) ?? oracles.sort()[0]
  return chosen ? path.join(settings.oraclesDir, chosen) : undefined
}

/**
 * The skills a condition offers (its own library, or the run's), checked: with errors, either nothing
 * runs (fail) or the bad skills are skipped.
 */
export function usableSkills(
  settings: Settings,
  condition?: Condition,
): { set: SkillSet; skipped: PromptPlan['skippedSkills'] } {
  const dir = condition ? skillsDirOf(settings, condition) : settings.skillsDir
  const set = loadSkills(dir, { maxBytes: settings.skills.maxBytes })
  const errors = set.problems.filter((p) => p.severity === 'error')
  if (errors.length && settings.skills.onError === 'fail') {
    throw new Error(`${errors.length} problem(s) in SKILL.md files:\n${errors.map(formatSkillProblem).join('\n')}`)
  }
  const skipped = set.invalid.map(({ name, file }) => ({
    name,
    file,
    why: errors
      .filter((e) => e.file === file)
      .map((e) => `${e.field ? `${e.field}: ` : ''}${e.problem}`)
      .join('; '),
  }))
  return { set, skipped }
}

/** The query a goal's skills are selected by: its title, keywords and text. */
export const selectionQuery = (goal: Goal): string => `${goal.title}\n${goal.keywords.join(' ')}\n${goal.body}`

export interface SkillPlan {
  selection: Selection
  skipped: PromptPlan['skippedSkills']
}

/**
 * The skills a condition offers for this goal and model, logged with why and at what cost.
 * `fixedTokens` is what the prompt takes besides skills (role prompt and task).
 */
export function planSkills(
  goal: Goal,
  model: ModelSpec,
  condition: Condition,
  settings: Settings,
  fixedTokens: number,
): SkillPlan | undefined {
  if (condition.skills === 'none') return undefined
  const { set, skipped } = usableSkills(settings, condition)
  const all = set.skills
  const dir = skillsDirOf(settings, condition)
  if (all.length === 0)
    throw new Error(`condition "${condition.name}" asks for skills but there is no valid SKILL.md under ${dir}`)
  if (Array.isArray(condition.skills)) {
    const missing = condition.skills.filter((name) => !all.some((s) => s.name === name))
    if (missing.length)
      throw new Error(`condition "${condition.name}": no skill named ${missing.join(', ')} under ${dir}`)
  }
  // single-shot has no navigator: its skills would reach the model that writes the notebook
  const singleShot = strategyOf(model) === 'single-shot'
  const offerable = singleShot ? all.filter((s) => s.role !== 'navigator') : all
  const answerTokens = model.generation.max_tokens ?? 4096
  // on demand, only names and descriptions enter the prompt: the budget does not apply
  const budgetTokens =
    condition.delivery === 'on-demand'
      ? Number.POSITIVE_INFINITY
      : skillBudget(model.context_window, fixedTokens, answerTokens, settings.skills.budgetFraction)
  const always = [...settings.skills.always, ...offerable.filter((s) => s.always).map((s) => s.name)]
  const selection = selectSkills(offerable, {
    query: selectionQuery(goal),
    budgetTokens,
    always,
    ...(condition.skills === 'all'
      ? { only: offerable.map((s) => s.name) }
      : Array.isArray(condition.skills)
        ? { only: condition.skills }
        : {}),
  })
  if (singleShot) {
    for (const skill of all.filter((s) => s.role === 'navigator')) {
      const why = `navigator skill: model "${model.name}" runs single-shot, with no navigator to give it to`
      selection.dropped.push({ name: skill.name, tokens: estimateTokens(skill.body), why })
    }
  }
  return { selection, skipped }
}

const asMarkdown = (chosen: Selection['chosen']): string =>
  chosen.map((c) => `## ${c.skill.name}\n${c.skill.body}`).join('\n\n')

/**
 * Messages for one cell of the matrix. The text depends only on goal and condition (never on the
 * model's name); the model's context window only caps how many skills fit, and its strategy decides
 * whether navigator skills have anyone to go to.
 */
export function planPrompt(goal: Goal, condition: Condition, settings: Settings, model: ModelSpec): PromptPlan {
  const example = exampleFor(goal, condition, settings)
  if (condition.example && !example)
    throw new Error(`condition "${condition.name}": no reference notebook found in ${settings.oraclesDir}`)
  let user = goal.body
  if (example) {
    const script = readFileSync(example, 'utf8').trimEnd()
    const fence = '```'
    user =
      `An example notebook for a different task, in the format to use:\n\n${fence}python\n${script}\n${fence}\n\n` +
      `Your task:\n\n${goal.body}`
  }
  const planned = planSkills(goal, model, condition, settings, estimateTokens(ROLE_PROMPT) + estimateTokens(user))
  const selection = planned?.selection
  const selected = selection?.chosen ?? []
  // a placebo keeps the selection's length and framing, and offers none of its content
  const placebo = condition.placebo
    ? placeboFor(selected.filter((c) => c.skill.role === 'driver').map((c) => c.skill))
    : undefined
  const chosen = placebo ? [] : selected
  const driverSkills = chosen.filter((c) => c.skill.role === 'driver')
  const onDemand = condition.delivery === 'on-demand'
  const skillText = placebo?.text ?? (onDemand ? '' : asMarkdown(driverSkills))
  const navigatorSkillText = asMarkdown(chosen.filter((c) => c.skill.role === 'navigator'))
  let system = ROLE_PROMPT
  if (skillText) system += `\n\n# Skills\nDomain notes you can rely on:\n\n${skillText}`
  const messages: ChatMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ]
  const catalog: CatalogEntry[] | undefined = onDemand
    ? driverSkills.map(({ skill }) => ({
        name: skill.name,
        description: skill.description,
        body: skill.body,
        dir: skill.dir,
        resources: skill.resources,
      }))
    : undefined
  // everything a model can be shown: an edited navigator skill or on-demand file reruns the cell
  const shown = JSON.stringify([
    messages,
    navigatorSkillText,
    catalog?.map((c) => [c.name, c.description, c.body, c.resources]),
  ])
  return {
    messages,
    task: user,
    skillText,
    navigatorSkillText,
    ...(catalog ? { catalog } : {}),
    hash: createHash('sha256')
      .update(catalog || navigatorSkillText ? shown : JSON.stringify(messages))
      .digest('hex')
      .slice(0, 16),
    skills: chosen.map((c) => ({
      name: c.skill.name,
      role: c.skill.role,
      bytes: c.skill.bytes,
      tokens: c.tokens,
      reason: c.reason,
      score: Number(c.score.toFixed(3)),
    })),
    ...(selected.length ? { delivery: onDemand ? ('on-demand' as const) : ('inline' as const) } : {}),
    ...(placebo ? { placebo: { tokens: placebo.tokens, matched: placebo.matched } } : {}),
    droppedSkills: selection?.dropped ?? [],
    skippedSkills: planned?.skipped ?? [],
    skillBudgetTokens: Number.isFinite(selection?.budgetTokens) ? (selection?.budgetTokens ?? 0) : -1,
    ...(selection ? { candidates: selection.considered } : {}),
    ...(example ? { example: path.relative(settings.root, example) } : {}),
  }
}
