import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Settings } from '../config/settings.ts'
import { lintNames, runSkillCode } from '../lint/index.ts'
import { formatSkillProblem, loadSkills } from '../skills/load.ts'
import { formatFinding, scanSkill } from './scan.ts'
import { measureLeak, type LeakCorpus } from './leak.ts'
import { libraryTokens, skillTokens } from './library.ts'

/**
 * Screening: a proposed change is refused before a single trial is spent on it unless the changed
 * skill is valid Agent Skills format within the size budget (and the library within every student's
 * skill budget), passes the security scan, leaks no goal's text, oracle or answer, names only TVB
 * names that exist, and its Python blocks run in the sandbox against the pinned TVB. Cheap stages
 * first; the first refusal ends the screen.
 */

export const SCREEN_STAGES = ['format', 'size', 'security', 'leak', 'names', 'code'] as const
export type ScreenStage = (typeof SCREEN_STAGES)[number]

export type ScreenResult =
  | { ok: true; skillTokens: number; libraryTokens: number }
  | { ok: false; stage: ScreenStage; reason: string; libraryTokens?: number }

export interface ScreenInput {
  /** The candidate library and its changed skill. */
  library: string
  skill: string
  settings: Pick<Settings, 'root' | 'execution' | 'skills'>
  /** The largest skill accepted, in estimated tokens. */
  maxSkillTokens: number
  /** Each student's skill budget (the smallest over the study's goals); the champion's size. */
  budgets: Record<string, number>
  championTokens: number
  corpus: LeakCorpus
  /** Scratch space for running the skill's code. */
  work: string
  /** Only the stages that need no Python (format, size, security, leak): for tests of the cheap ones. */
  skipPython?: boolean
}

export async function screen(input: ScreenInput): Promise<ScreenResult> {
  const set = loadSkills(input.library, { maxBytes: input.settings.skills.maxBytes })
  const errors = set.problems.filter((p) => p.severity === 'error')
  const skill = set.skills.find((s) => s.name === input.skill)
  if (errors.length || !skill) {
    const reason = errors.length
      ? errors
          .slice(0, 3)
          .map((e) => formatSkillProblem({ ...e, file: path.relative(input.library, e.file) || e.file }))
          .join('; ')
      : `no valid skill named ${input.skill}`
    return { ok: false, stage: 'format', reason: reason.replace(/\n\s*/g, ' ') }
  }
  const size = libraryTokens(input.library, input.settings.skills.maxBytes).total
  const tokens = skillTokens(skill)
  if (tokens > input.maxSkillTokens)
    return {
      ok: false,
      stage: 'size',
      reason: `${skill.name} has ${tokens} tokens, over the per-skill budget of ${input.maxSkillTokens}`,
      libraryTokens: size,
    }
  // a library already over a budget may still shrink; it may not grow past it
  const over = Object.entries(input.budgets).filter(([, budget]) => size > budget && size > input.championTokens)
  if (over.length)
    return {
      ok: false,
      stage: 'size',
      reason: `the library would have ${size} tokens, over the skill budget of ${over
        .map(([student, budget]) => `${student} (${budget})`)
        .join(', ')}`,
      libraryTokens: size,
    }
  const text = readFileSync(skill.file, 'utf8')
  const findings = scanSkill(text)
  if (findings.length)
    return {
      ok: false,
      stage: 'security',
      reason: findings.slice(0, 3).map(formatFinding).join('; '),
      libraryTokens: size,
    }
  const leak = measureLeak(text, input.corpus)
  if (leak.leaked) return { ok: false, stage: 'leak', reason: leak.reason ?? 'leaks', libraryTokens: size }
  if (input.skipPython) return { ok: true, skillTokens: tokens, libraryTokens: size }
  const names = await lintNames([skill.file], input.library)
  if (names.problems.length)
    return {
      ok: false,
      stage: 'names',
      reason: names.problems
        .slice(0, 3)
        .map((p) => `line ${p.line}: ${p.message}`)
        .join('; '),
      libraryTokens: size,
    }
  const ran = await runSkillCode(skill.file, input.library, input.work, input.settings.execution)
  if (ran.length)
    return {
      ok: false,
      stage: 'code',
      reason: ran.map((p) => `line ${p.line}: ${p.message}`).join('; '),
      libraryTokens: size,
    }
  return { ok: true, skillTokens: tokens, libraryTokens: size }
}
