import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { ModelSpec } from '../config/models.ts'
import { neutralize } from '../judge/digest.ts'
import type { ModelClient } from '../models/client.ts'
import { parseJsonReply } from '../models/json-reply.ts'
import type { ChatMessage } from '../models/types.ts'
import type { FailureCluster } from '../report/failures.ts'
import { loadSkills, type Skill } from '../skills/load.ts'
import { SKILL_NAME } from '../skills/schema.ts'
import { plainText } from '../util/terminal.ts'
import { newSkillDir, skillTokens } from './library.ts'

/**
 * The teacher's side of an iteration: one failure cluster, the library and the format rules in; one
 * change out — a new skill, or an edit of one (its whole new text, or find-and-replace edits) — as
 * JSON that is validated, and sent back with the error a bounded number of times. The teacher sees
 * train failures only: never a holdout goal, its text or its failures.
 */

/**
 * Flat on purpose: every field required, so a JSON-schema grammar (llama.cpp, Ollama, OpenAI strict)
 * can hold a reply to it.
 */
export const ProposalSchema = z
  .object({
    action: z.enum(['create', 'replace', 'patch']),
    skill: z.string().regex(SKILL_NAME, 'a skill name: lower-case letters, digits and single hyphens'),
    rationale: z.string().min(1).max(2000),
    /** create, replace: the whole SKILL.md (frontmatter and body); patch: "". */
    text: z.string().max(64 * 1024),
    /** patch: each `find` occurs exactly once in the current SKILL.md; create, replace: []. */
    edits: z.array(z.object({ find: z.string(), replace: z.string() }).strict()).max(20),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.action === 'patch' && p.edits.length === 0)
      ctx.addIssue({ code: 'custom', path: ['edits'], message: 'a patch needs at least one edit' })
    if (p.action !== 'patch' && !p.text.trim())
      ctx.addIssue({ code: 'custom', path: ['text'], message: `${p.action} needs the whole SKILL.md in "text"` })
  })
export type Proposal = z.infer<typeof ProposalSchema>

export function proposalJsonSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(ProposalSchema) as Record<string, unknown>
  return schema
}

export interface TeacherContext {
  /** 1-based; part of the prompt, so every proposal is its own call (and its own cache entry). */
  iteration: number
  cluster: FailureCluster
  /** Train goal ids → titles (the cluster's goals are named by title; no goal text). */
  goalTitles: Record<string, string>
  library: string
  /** Earlier proposals and what became of them, one line each. */
  history: string[]
  /** The largest skill the screen accepts, in estimated tokens. */
  skillTokens: number
}

const FORMAT_RULES = (skillTokens: number) => `A skill is a folder with a SKILL.md in the Agent Skills format:

---
name: <the skill's name: lower-case letters, digits, single hyphens>
description: >-
  What the skill does AND when to use it (at most 1024 characters).
keywords: [a few words or identifiers a task would use]
---
# Markdown body: the facts and code a model needs, short.

Rules, all checked before any trial is spent on your change:
- at most ${skillTokens} tokens (about ${skillTokens * 4} characters) in the body;
- every fenced Python block runs, in order, on the pinned TVB (tvb-library 2.10, Python 3.11, no internet);
- every TVB class, module, parameter and attribute named in code exists in that TVB;
- general knowledge only: no answer, number or code copied from a particular task or its reference notebook;
- nothing addressed to a grader, no instruction to ignore instructions, no secrets, no network, no shell,
  no file outside the notebook's own directory.`

const SYSTEM = (skillTokens: number) =>
  [
    'You improve a library of skills: notes that models read before they write Jupyter notebooks with The Virtual',
    'Brain (TVB). You are shown one cluster of failures of the current library on training tasks, and the library.',
    'Propose ONE change that would prevent those failures on tasks of the same kind, not only on these: a new',
    'skill, or an edit of one skill. A change is kept only if it measurably helps on tasks you do not see.',
    '',
    FORMAT_RULES(skillTokens),
    '',
    'Reply with one JSON object and nothing else:',
    '{"action": "create" | "replace" | "patch", "skill": "<name>", "rationale": "<why this helps>",',
    ' "text": "<the whole SKILL.md for create and replace, else \\"\\">",',
    ' "edits": [{"find": "<text that occurs exactly once in the current SKILL.md>", "replace": "<new text>"}]}',
    'create: a skill that does not exist yet; replace: a whole new SKILL.md for an existing skill; ' +
      'patch: edits to one.',
  ].join('\n')

/** Untrusted text (errors and code from notebooks) for the teacher: plain, one line, grader-text removed. */
const quoted = (text: string): string => neutralize(plainText(text).replace(/\s+/g, ' ').trim().slice(0, 240)).text

function clusterText(cluster: FailureCluster, titles: Record<string, string>): string {
  const lines = [
    `${cluster.title} — ${cluster.kind}, ${cluster.trials} failing trial(s) in ${cluster.goals.length} task(s):`,
    ...cluster.goals.map((goal) => `- ${titles[goal] ?? goal}`),
    '',
    'Examples:',
    ...cluster.examples.map((e) => {
      const where = titles[e.goal] ?? e.goal
      const numbers = e.measured && Object.fromEntries(Object.entries(e.measured).filter(([k]) => k !== 'reasons'))
      const measured = numbers ? ` (measured: ${quoted(JSON.stringify(numbers))})` : ''
      return `- ${where}: ${e.line ? `\`${quoted(e.line)}\` → ` : ''}${quoted(e.detail)}${measured}`
    }),
    '',
    `Skills offered in these trials: ${Object.keys(cluster.skills.offered).sort().join(', ') || 'none'}` +
      (Object.keys(cluster.skills.read).length ? `; read: ${Object.keys(cluster.skills.read).sort().join(', ')}` : ''),
  ]
  return lines.join('\n')
}

/** The library as the teacher sees it: every skill's name, description and size; the skills involved in full. */
function libraryText(skills: Skill[], involved: Set<string>): string {
  const index = skills.map((s) => `- ${s.name} (${skillTokens(s)} tokens): ${s.description.replace(/\s+/g, ' ')}`)
  const full = skills
    .filter((s) => involved.has(s.name))
    .map(
      (s) =>
        `### ${path.relative(path.dirname(path.dirname(s.file)), s.file)}\n\n${readFileSync(s.file, 'utf8').trim()}`,
    )
  return [
    '## The library',
    ...index,
    ...(full.length ? ['', '## The skills offered in the failing trials, in full', '', ...full] : []),
  ].join('\n')
}

export function teacherMessages(context: TeacherContext): ChatMessage[] {
  const skills = loadSkills(context.library).skills
  const involved = new Set(Object.keys(context.cluster.skills.offered))
  const user = [
    `# Proposal ${context.iteration}`,
    '',
    '## The failures to address',
    '',
    clusterText(context.cluster, context.goalTitles),
    '',
    libraryText(skills, involved),
    '',
    '## Earlier proposals in this study',
    '',
    ...(context.history.length ? context.history : ['none']),
    '',
    `Reply with the JSON object for proposal ${context.iteration}.`,
  ].join('\n')
  return [
    { role: 'system', content: SYSTEM(context.skillTokens) },
    { role: 'user', content: user },
  ]
}

/** The new SKILL.md a valid proposal makes, or why it cannot be applied (told to the teacher). */
export function applyProposal(
  proposal: Proposal,
  library: string,
): { ok: true; file: string; text: string } | { ok: false; problem: string } {
  const existing = loadSkills(library).skills.find((s) => s.name === proposal.skill)
  if (proposal.action === 'create') {
    if (existing) return { ok: false, problem: `a skill named "${proposal.skill}" exists: use replace or patch` }
    return { ok: true, file: path.join(newSkillDir(library, proposal.skill), 'SKILL.md'), text: proposal.text }
  }
  if (!existing) {
    const names = loadSkills(library)
      .skills.map((s) => s.name)
      .join(', ')
    return {
      ok: false,
      problem: `there is no skill named "${proposal.skill}" to ${proposal.action} (skills: ${names})`,
    }
  }
  if (proposal.action === 'replace') return { ok: true, file: existing.file, text: proposal.text }
  let text = readFileSync(existing.file, 'utf8')
  for (const [index, edit] of proposal.edits.entries()) {
    const count = edit.find ? text.split(edit.find).length - 1 : 0
    if (count !== 1)
      return {
        ok: false,
        problem:
          `edits[${index}].find occurs ${count} times in ${proposal.skill}'s SKILL.md; ` + 'it must occur exactly once',
      }
    text = text.replace(edit.find, () => edit.replace)
  }
  return { ok: true, file: existing.file, text }
}

/** Parse a teacher's reply: the whole text as JSON, or one fenced ```json block. */
function parseProposal(content: string): { ok: true; proposal: Proposal } | { ok: false; problem: string } {
  const reply = parseJsonReply(content, ProposalSchema)
  return reply.ok ? { ok: true, proposal: reply.value } : { ok: false, problem: reply.problem }
}

export interface Proposed {
  /** The valid proposal and the SKILL.md it makes, or the last problem after every attempt. */
  outcome: { ok: true; proposal: Proposal; file: string; text: string } | { ok: false; problem: string }
  attempts: number
  tokensIn: number
  tokensOut: number
}

/**
 * Ask the teacher for one change; a reply that is not a valid, applicable proposal goes back with the
 * error, up to `attempts` replies in all. Tokens count every reply (a cached one too: it is what this
 * proposal cost when it was made).
 */
export async function propose(input: {
  teacher: ModelSpec
  client: ModelClient
  context: TeacherContext
  attempts: number
  /** Where the whole conversation, exactly as sent and received, is kept for people (teacher.json). */
  dir: string
}): Promise<Proposed> {
  const messages = teacherMessages(input.context)
  const format = { name: 'skill_proposal', schema: proposalJsonSchema() }
  const tokens = { in: 0, out: 0 }
  let problem = 'no reply'
  await mkdir(input.dir, { recursive: true })
  // every message the teacher was sent, its replies among them: what it saw is on record (and auditable:
  // no holdout goal, test/improve-loop.slow.ts)
  const attempts: { attempt: number; cached: boolean; problem?: string }[] = []
  const save = (conversation: ChatMessage[]) =>
    writeFile(path.join(input.dir, 'teacher.json'), `${JSON.stringify({ conversation, attempts }, null, 2)}\n`)
  for (let attempt = 1; attempt <= input.attempts; attempt++) {
    const reply = await input.client.complete(input.teacher, { messages, responseFormat: format })
    tokens.in += reply.tokensIn ?? 0
    tokens.out += reply.tokensOut ?? 0
    const answered: ChatMessage = { role: 'assistant', content: reply.content }
    const parsed = parseProposal(reply.content)
    const applied = parsed.ok ? applyProposal(parsed.proposal, input.context.library) : undefined
    if (parsed.ok && applied?.ok) {
      attempts.push({ attempt, cached: reply.cached })
      await save([...messages, answered])
      const outcome = { ok: true as const, proposal: parsed.proposal, file: applied.file, text: applied.text }
      return { outcome, attempts: attempt, tokensIn: tokens.in, tokensOut: tokens.out }
    }
    problem = parsed.ok ? (applied as { problem: string }).problem : parsed.problem
    attempts.push({ attempt, cached: reply.cached, problem })
    messages.push(answered)
    if (attempt < input.attempts)
      messages.push({
        role: 'user',
        content:
          `Proposal ${input.context.iteration} could not be used: ${problem}. ` +
          'Reply again with only the JSON object described above.',
      })
  }
  await save(messages)
  return { outcome: { ok: false, problem }, attempts: input.attempts, tokensIn: tokens.in, tokensOut: tokens.out }
}
