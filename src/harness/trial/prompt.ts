import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Condition, RunSettings } from '../config/settings.ts'
import type { Goal } from '../goal/schema.ts'
import type { ChatMessage } from '../models/chat.ts'
import { loadSkills, type Skill } from '../skills/load.ts'

export const ROLE_PROMPT = `You are an expert computational neuroscientist. Write a complete Jupyter notebook that \
accomplishes the task below with The Virtual Brain (tvb-library 2.10, Python 3.11). numpy, scipy and matplotlib \
are installed, TVB's default data set is installed, and there is no internet access. The notebook is executed top \
to bottom in a fresh kernel.

Reply with the notebook as ONE Python script in percent format inside a single \`\`\`python block: begin every \
code cell with a line "# %%" and every Markdown cell with "# %% [markdown]" followed by lines commented with "# ".`

export interface PromptPlan {
  messages: ChatMessage[]
  hash: string
  skills: { name: string; bytes: number }[]
  example?: string
}

/** The reference notebook for one_shot: the configured file, or the oracle of another goal. */
export function exampleFor(goal: Goal, condition: Condition, settings: RunSettings): string | undefined {
  if (!condition.example) return undefined
  if (condition.example !== 'auto') return path.resolve(settings.root, condition.example)
  if (!existsSync(settings.oraclesDir)) return undefined
  const own = path.basename(goal.file).replace(/\.GOAL\.md$/i, '.py')
  const candidates = readdirSync(settings.oraclesDir).filter((f) => f.endsWith('.py') && f !== own).sort()
  return candidates[0] ? path.join(settings.oraclesDir, candidates[0]) : undefined
}

function skillsFor(condition: Condition, settings: RunSettings): Skill[] {
  if (condition.skills === 'none') return []
  const all = loadSkills(settings.skillsDir)
  if (condition.skills === 'all') return all
  const wanted = new Set(condition.skills)
  const chosen = all.filter((s) => wanted.has(s.name))
  const missing = [...wanted].filter((name) => !chosen.some((s) => s.name === name))
  if (missing.length) throw new Error(`condition "${condition.name}": no skill named ${missing.join(', ')} under ${settings.skillsDir}`)
  return chosen
}

/** Messages for one cell of the matrix. Blind to the model under test; depends only on goal and condition. */
export function planPrompt(goal: Goal, condition: Condition, settings: RunSettings): PromptPlan {
  const skills = skillsFor(condition, settings)
  if (condition.skills !== 'none' && skills.length === 0) {
    throw new Error(`condition "${condition.name}" asks for skills but there is no SKILL.md under ${settings.skillsDir}`)
  }
  let system = ROLE_PROMPT
  if (skills.length) {
    system += `\n\n# Skills\nDomain notes you can rely on:\n\n${skills.map((s) => `## ${s.name}\n${s.body}`).join('\n\n')}`
  }
  const example = exampleFor(goal, condition, settings)
  if (condition.example && !example) throw new Error(`condition "${condition.name}": no reference notebook found in ${settings.oraclesDir}`)
  let user = goal.body
  if (example) {
    user = `An example notebook for a different task, in the format to use:\n\n\`\`\`python\n${readFileSync(example, 'utf8').trimEnd()}\n\`\`\`\n\nYour task:\n\n${goal.body}`
  }
  const messages: ChatMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ]
  return {
    messages,
    hash: createHash('sha256').update(JSON.stringify(messages)).digest('hex').slice(0, 16),
    skills: skills.map((s) => ({ name: s.name, bytes: s.bytes })),
    ...(example ? { example: path.relative(settings.root, example) } : {}),
  }
}
