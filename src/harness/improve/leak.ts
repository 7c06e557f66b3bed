import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Goal } from '../goal/schema.ts'

/**
 * Does a proposed skill carry a goal's answer? A skill may teach what many goals need; it must not
 * copy what one goal asks or what its oracle does, nor state a goal's expected number. Two measures:
 *
 * - **copied text**: the skill and each source (a goal's text, an oracle notebook) as sets of
 *   overlapping runs of LEAK_NGRAM tokens (words, identifiers and numbers, lower-cased). The skill
 *   leaks when it contains at least LEAK_THRESHOLD of a source's runs (it copies most of that goal or
 *   oracle), or when at least LEAK_THRESHOLD of its own runs come from one source (it is mostly a copy).
 *   Measured on the 7 starter skills against the 44 goals and their oracles: at most 0.27 of a source
 *   (tvb-monitors and the bold_monitor oracle share the Simulator set-up) and 0.17 of a skill; an
 *   oracle pasted into a skill scores 1.0 (test/improve.test.ts keeps both figures true).
 * - **stated answers**: a line that names a goal's result variable (a `value` check's `result`) and a
 *   number inside that check's expected range.
 */

export const LEAK_NGRAM = 8
export const LEAK_THRESHOLD = 0.5
/** A skill with fewer runs than this is too short for the share of its own text to mean anything. */
const MIN_SKILL_NGRAMS = 20

export interface LeakSource {
  /** What to call it in a refusal: `goal tutorial/x`, `oracle x.py`. */
  name: string
  ngrams: Set<string>
}

export interface Answer {
  goal: string
  result: string
  range: [number, number]
}

export interface LeakCorpus {
  sources: LeakSource[]
  answers: Answer[]
}

export interface LeakReport {
  leaked: boolean
  /** The source the skill shares most with, as shares of its runs and of the skill's. */
  worst?: { source: string; ofSource: number; ofSkill: number; shared: number }
  /** Lines that state a goal's answer. */
  answers: { line: number; goal: string; result: string; range: [number, number]; text: string }[]
  reason?: string
}

const tokens = (text: string): string[] => text.toLowerCase().match(/[a-z_][a-z0-9_]*|\d+(?:\.\d+)?/g) ?? []

export function ngrams(text: string, n = LEAK_NGRAM): Set<string> {
  const t = tokens(text)
  const set = new Set<string>()
  for (let i = 0; i + n <= t.length; i++) set.add(t.slice(i, i + n).join(' '))
  return set
}

/** Goals (their whole files) and every oracle notebook: what no skill may copy. */
export function leakCorpus(goals: Goal[], oraclesDir: string): LeakCorpus {
  const sources: LeakSource[] = goals.map((goal) => ({
    name: `goal ${goal.id}`,
    ngrams: ngrams(readFileSync(goal.file, 'utf8')),
  }))
  if (existsSync(oraclesDir))
    for (const file of readdirSync(oraclesDir)
      .filter((f) => f.endsWith('.py'))
      .sort())
      sources.push({ name: `oracle ${file}`, ngrams: ngrams(readFileSync(path.join(oraclesDir, file), 'utf8')) })
  const answers = goals.flatMap((goal) =>
    goal.checks.flatMap((check) => {
      const params = check.params as { result?: unknown; range?: unknown }
      return check.kind === 'value' && typeof params.result === 'string' && Array.isArray(params.range)
        ? [{ goal: goal.id, result: params.result, range: params.range as [number, number] }]
        : []
    }),
  )
  return { sources, answers }
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export function measureLeak(skill: string, corpus: LeakCorpus): LeakReport {
  const own = ngrams(skill)
  let worst: LeakReport['worst']
  for (const source of corpus.sources) {
    if (source.ngrams.size === 0) continue
    let shared = 0
    for (const gram of own) if (source.ngrams.has(gram)) shared += 1
    const ofSource = shared / source.ngrams.size
    const ofSkill = own.size >= MIN_SKILL_NGRAMS ? shared / own.size : 0
    if (!worst || Math.max(ofSource, ofSkill) > Math.max(worst.ofSource, worst.ofSkill))
      worst = { source: source.name, ofSource, ofSkill, shared }
  }
  const answers: LeakReport['answers'] = []
  const lines = skill.split('\n')
  for (const answer of corpus.answers) {
    const named = new RegExp(`\\b${escape(answer.result)}\\b`)
    lines.forEach((text, index) => {
      if (!named.test(text)) return
      const numbers = (text.match(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi) ?? []).map(Number)
      if (numbers.some((x) => x >= answer.range[0] && x <= answer.range[1]))
        answers.push({ line: index + 1, ...answer, text: text.trim().slice(0, 120) })
    })
  }
  const copied = worst !== undefined && Math.max(worst.ofSource, worst.ofSkill) >= LEAK_THRESHOLD
  const reason = copied
    ? `copies ${worst!.source}: ${Math.round(worst!.ofSource * 100)}% of its ${LEAK_NGRAM}-token runs are in the ` +
      `skill (${Math.round(worst!.ofSkill * 100)}% of the skill's), over the ${LEAK_THRESHOLD} threshold`
    : answers.length
      ? `line ${answers[0]!.line} states goal ${answers[0]!.goal}'s answer (${answers[0]!.result} in ` +
        `[${answers[0]!.range.join(', ')}])`
      : undefined
  return { leaked: copied || answers.length > 0, ...(worst ? { worst } : {}), answers, ...(reason ? { reason } : {}) }
}
