import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { ModelSpec } from '../config/models.ts'
import type { Condition, Settings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import type { ChatMessage } from '../models/types.ts'
import { loadSkills } from '../skills/load.ts'
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
  bytes: number
  tokens: number
  reason: string
  score: number
}

export interface PromptPlan {
  messages: ChatMessage[]
  /** The task as the model sees it (goal, with the example for one_shot). */
  task: string
  /** The offered skills as Markdown ('' for none, or when delivered on demand). */
  skillText: string
  /** On-demand delivery: the skills listed for read_skill. */
  catalog?: { name: string; description: string; body: string }[]
  hash: string
  /** The real skills offered (none for a placebo). */
  skills: OfferedSkill[]
  /** How skills reach the model, when any (or a placebo) are offered. */
  delivery?: 'inline' | 'on-demand'
  /** Placebo conditions: the estimated tokens of the notes and the skills whose length they match. */
  placebo?: { tokens: number; matched: string[] }
  droppedSkills: { name: string; tokens: number; why: string }[]
  skillBudgetTokens: number
  example?: string
}

/** The reference notebook for one_shot: the configured file, or the oracle of another goal. */
function exampleFor(goal: Goal, condition: Condition, settings: Settings): string | undefined {
  if (!condition.example) return undefined
  if (condition.example !== 'auto') return path.resolve(settings.root, condition.example)
  if (!existsSync(settings.oraclesDir)) return undefined
  const own = path.basename(goal.file).replace(/\.GOAL\.md$/i, '.py')
  const candidates = readdirSync(settings.oraclesDir)
    .filter((f) => f.endsWith('.py') && f !== own)
    .sort()
  return candidates[0] ? path.join(settings.oraclesDir, candidates[0]) : undefined
}

/** The skills a condition offers for this goal and model, logged with why and at what cost. */
function skillsFor(
  goal: Goal,
  model: ModelSpec,
  condition: Condition,
  settings: Settings,
  fixedTokens: number,
): Selection | undefined {
  if (condition.skills === 'none') return undefined
  const all = loadSkills(settings.skillsDir)
  if (all.length === 0)
    throw new Error(
      `condition "${condition.name}" asks for skills but there is no SKILL.md under ${settings.skillsDir}`,
    )
  if (Array.isArray(condition.skills)) {
    const missing = condition.skills.filter((name) => !all.some((s) => s.name === name))
    if (missing.length)
      throw new Error(`condition "${condition.name}": no skill named ${missing.join(', ')} under ${settings.skillsDir}`)
  }
  const answerTokens = model.generation.max_tokens ?? 4096
  // on demand, only names and descriptions enter the prompt: the budget does not apply
  const budgetTokens =
    condition.delivery === 'on-demand'
      ? Number.POSITIVE_INFINITY
      : skillBudget(model.context_window, fixedTokens, answerTokens, settings.skills.budgetFraction)
  return selectSkills(all, {
    query: `${goal.title}\n${goal.keywords.join(' ')}\n${goal.body}`,
    budgetTokens,
    always: settings.skills.always,
    ...(condition.skills === 'all'
      ? { only: all.map((s) => s.name) }
      : Array.isArray(condition.skills)
        ? { only: condition.skills }
        : {}),
  })
}

/**
 * Messages for one cell of the matrix. The text depends only on goal and condition (never on the
 * model's name); the model's context window only caps how many skills fit.
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
  const selection = skillsFor(goal, model, condition, settings, estimateTokens(ROLE_PROMPT) + estimateTokens(user))
  const selected = selection?.chosen ?? []
  // a placebo keeps the selection's length and framing, and offers none of its content
  const placebo = condition.placebo ? placeboFor(selected.map((c) => c.skill)) : undefined
  const skills = placebo ? [] : selected
  const onDemand = condition.delivery === 'on-demand'
  const skillText =
    placebo?.text ?? (onDemand ? '' : skills.map((c) => `## ${c.skill.name}\n${c.skill.body}`).join('\n\n'))
  let system = ROLE_PROMPT
  if (skillText) system += `\n\n# Skills\nDomain notes you can rely on:\n\n${skillText}`
  const messages: ChatMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ]
  return {
    messages,
    task: user,
    skillText,
    ...(onDemand
      ? { catalog: skills.map((c) => ({ name: c.skill.name, description: c.skill.description, body: c.skill.body })) }
      : {}),
    hash: createHash('sha256').update(JSON.stringify(messages)).digest('hex').slice(0, 16),
    skills: skills.map((c) => ({
      name: c.skill.name,
      bytes: c.skill.bytes,
      tokens: c.tokens,
      reason: c.reason,
      score: Number(c.score.toFixed(3)),
    })),
    ...(selected.length ? { delivery: onDemand ? ('on-demand' as const) : ('inline' as const) } : {}),
    ...(placebo ? { placebo: { tokens: placebo.tokens, matched: placebo.matched } } : {}),
    droppedSkills: selection?.dropped ?? [],
    skillBudgetTokens: Number.isFinite(selection?.budgetTokens) ? (selection?.budgetTokens ?? 0) : -1,
    ...(example ? { example: path.relative(settings.root, example) } : {}),
  }
}
