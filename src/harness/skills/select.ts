import { estimateTokens } from '../util/defined.ts'
import type { Skill } from './load.ts'
import { terms } from './vocabulary.ts'

/**
 * Which skills a goal gets, within a model's budget. Lessons: substring matching on short words
 * ("dt", "map") selected nearly everything; keywords made from "Triggers on …" prose over-matched
 * ("Cortex" offered the surface-simulation skill for "visual cortex"); ranking over skill bodies
 * missed specific skills and offered generic ones to every goal; 36 KB of skills overflowed a
 * 32K-context model. So:
 *
 * - a skill is indexed by its *card* — name, description (authors write it for choosing) and
 *   keywords — and, with less weight, its body; goal and skill both pass through a small concept
 *   table (vocabulary.ts: "random input" ≈ "stochastic" ≈ HeunStochastic);
 * - a *specific* keyword (a phrase, or an identifier such as `HeunStochastic`, `tau0`, `J_NMDA`, or an
 *   acronym such as BOLD) found in the goal offers its skill outright; plain-word keywords ("cortex",
 *   "plot") only add to the score;
 * - otherwise a skill is offered when its score is both clearly relevant in absolute terms and close
 *   to the best skill's;
 * - always-include skills first, in a deterministic order, and the payload is capped.
 *
 * The figures these rules reach are measured on a labelled set: `npx skilldelta skills eval`.
 */

export { estimateTokens }

/** Weight of the card (name, description, keywords) against the body in a skill's score. */
const CARD_WEIGHT = 1
const BODY_WEIGHT = 0.5
/** A skill offered on its score must reach this much… */
/**
 * A skill offered on its score must reach this much evidence — in units of one goal term that only
 * this skill's card has (so the bar means the same with 2 skills or 200)…
 */
const MIN_EVIDENCE = 5
/** …and this fraction of the best skill's score… */
const MIN_RELATIVE_SCORE = 0.45
/** …and its card must share this many distinct terms with the goal. */
const MIN_SHARED_TERMS = 2

/** Okapi BM25 scores of each document (a list of terms) against the query's weighted terms. */
function bm25Terms(query: Map<string, number>, docs: string[][], k1 = 1.2, b = 0.75): number[] {
  const averageLength = docs.reduce((sum, d) => sum + d.length, 0) / Math.max(docs.length, 1)
  const documentFrequency = new Map<string, number>()
  for (const doc of docs) {
    for (const term of new Set(doc)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1)
  }
  return docs.map((doc) => {
    const counts = new Map<string, number>()
    for (const term of doc) counts.set(term, (counts.get(term) ?? 0) + 1)
    let score = 0
    for (const [term, weight] of query) {
      const tf = counts.get(term) ?? 0
      if (tf === 0) continue
      const n = documentFrequency.get(term) ?? 0
      const idf = Math.log(1 + docs.length / n)
      score += weight * idf * ((tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * doc.length) / Math.max(averageLength, 1))))
    }
    return score
  })
}

/** A query's terms, each weighted by 1 + ln(count): a goal that keeps saying "noise" is about noise. */
function weighted(text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const term of terms(text)) counts.set(term, (counts.get(term) ?? 0) + 1)
  return new Map([...counts].map(([term, count]) => [term, 1 + Math.log(count)]))
}

/** Okapi BM25 scores of each document against the query (k1 = 1.2, b = 0.75). */
export function bm25(query: string, documents: string[], k1 = 1.2, b = 0.75): number[] {
  return bm25Terms(weighted(query), documents.map(terms), k1, b)
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Whether a keyword names something precise: a phrase ("power spectrum"), an identifier (a digit,
 * "_", "." or an inner capital: `HeunStochastic`, `tau0`, `sim.run`) or an acronym (BOLD, PSD).
 * Such a keyword in a goal is enough to offer the skill; a plain word is not.
 */
export function isSpecificKeyword(keyword: string): boolean {
  return /\s/.test(keyword.trim()) || /[\d_.]/.test(keyword) || /[a-z][A-Z]/.test(keyword) || /^[A-Z]{2,}$/.test(keyword)
}

/** Keywords of a skill found in the text as whole words (case-insensitive; acronyms case-sensitive). */
export function keywordHits(keywords: string[], text: string): string[] {
  return keywords.filter((keyword) => {
    const acronym = /^[A-Z]{2,}$/.test(keyword)
    return new RegExp(`(?<![\\w])${escapeRegExp(keyword)}(?![\\w])`, acronym ? '' : 'i').test(text)
  })
}

interface SkillChoice {
  skill: Skill
  tokens: number
  score: number
  reason: 'always' | 'keywords' | 'retrieval' | 'listed'
  keywords: string[]
}

/** Every skill considered for a goal: its score, whether it was offered, and why (for `skills select`). */
export interface SkillVerdict {
  name: string
  role: Skill['role']
  score: number
  offered: boolean
  why: string
}

export interface Selection {
  chosen: SkillChoice[]
  considered: SkillVerdict[]
  /** Relevant skills left out, and why (over budget). */
  dropped: { name: string; tokens: number; why: string }[]
  budgetTokens: number
  usedTokens: number
}

interface SelectOptions {
  /** The goal's text (title, keywords, body). */
  query: string
  budgetTokens: number
  always?: string[]
  /** Offer exactly these skills (still within budget), instead of selecting. */
  only?: string[]
  /** A skill offered on its score needs at least this much evidence (units of one term unique to it)… */
  minEvidence?: number
  /** …and at least this fraction of the best skill's score… */
  minRelativeScore?: number
  /** …and its card must share at least this many distinct terms with the goal. */
  minSharedTerms?: number
}

/** The BM25 weight of one goal term found in one skill's card only: the unit scores are measured in. */
const evidenceUnit = (skills: number): number => Math.log(1 + skills)

const cardOf = (s: Skill): string => `${s.name.replace(/-/g, ' ')} ${s.description} ${s.keywords.join(' ')}`

/** How many distinct goal terms (concepts included) each skill's card shares: one shared word is chance. */
export function cardOverlap(skills: Skill[], query: string): number[] {
  const goal = new Set(terms(query))
  return skills.map((s) => new Set(terms(cardOf(s)).filter((t) => goal.has(t))).size)
}

/** Each skill's relevance to the query — card and body BM25, combined — in evidence units. */
export function scoreSkills(skills: Skill[], query: string): number[] {
  const q = weighted(query)
  const cards = bm25Terms(
    q,
    skills.map((s) => terms(cardOf(s))),
  )
  const bodies = bm25Terms(
    q,
    skills.map((s) => terms(s.body)),
  )
  const unit = evidenceUnit(skills.length)
  return skills.map((_, i) => (CARD_WEIGHT * (cards[i] ?? 0) + BODY_WEIGHT * (bodies[i] ?? 0)) / unit)
}

export function selectSkills(skills: Skill[], options: SelectOptions): Selection {
  const scores = scoreSkills(skills, options.query)
  const best = Math.max(0, ...scores)
  const always = new Set(options.always ?? [])
  const only = options.only ? new Set(options.only) : undefined
  const minEvidence = options.minEvidence ?? MIN_EVIDENCE
  const floor = Math.max(minEvidence, (options.minRelativeScore ?? MIN_RELATIVE_SCORE) * best)
  const minShared = options.minSharedTerms ?? MIN_SHARED_TERMS
  const shared = cardOverlap(skills, options.query)

  const candidates: SkillChoice[] = []
  const verdicts = new Map<Skill, string>()
  skills.forEach((skill, index) => {
    const score = scores[index] ?? 0
    const keywords = keywordHits(skill.keywords.filter(isSpecificKeyword), options.query)
    const tokens = estimateTokens(skill.body)
    let reason: SkillChoice['reason'] | undefined
    if (only) reason = only.has(skill.name) ? 'listed' : undefined
    else if (always.has(skill.name)) reason = 'always'
    else if (keywords.length > 0) reason = 'keywords'
    else if (score > 0 && score >= floor && (shared[index] ?? 0) >= minShared) reason = 'retrieval'
    if (reason) candidates.push({ skill, tokens, score, reason, keywords })
    verdicts.set(
      skill,
      reason === 'keywords'
        ? `keywords: ${keywords.join(', ')}`
        : reason === 'retrieval'
          ? `score ≥ ${floor.toFixed(2)}, ${shared[index]} terms shared with its card`
          : reason === 'always' || reason === 'listed'
            ? reason
            : only
              ? 'not listed by the condition'
              : score < floor
                ? `score below ${floor.toFixed(2)} (the higher of ${minEvidence} and ` +
                  `${Math.round((options.minRelativeScore ?? MIN_RELATIVE_SCORE) * 100)}% of the best)`
                : `its card shares ${shared[index]} term(s) with the goal, fewer than ${minShared}`,
    )
  })
  const rank = { always: 0, listed: 0, keywords: 1, retrieval: 2 }
  candidates.sort(
    (a, b) =>
      rank[a.reason] - rank[b.reason] ||
      b.score - a.score ||
      b.keywords.length - a.keywords.length ||
      a.skill.name.localeCompare(b.skill.name),
  )

  const chosen: SkillChoice[] = []
  const dropped: Selection['dropped'] = []
  let used = 0
  for (const candidate of candidates) {
    if (used + candidate.tokens > options.budgetTokens) {
      const why = `over the ${options.budgetTokens}-token budget (${used} used)`
      dropped.push({ name: candidate.skill.name, tokens: candidate.tokens, why })
      continue
    }
    used += candidate.tokens
    chosen.push(candidate)
  }
  const considered = skills
    .map((skill, index): SkillVerdict => {
      const offered = chosen.some((c) => c.skill === skill)
      return { name: skill.name, role: skill.role, score: scores[index] ?? 0, offered, why: verdicts.get(skill) ?? '' }
    })
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
  return { chosen, considered, dropped, budgetTokens: options.budgetTokens, usedTokens: used }
}

/**
 * Tokens a model can spend on skills: a fraction of its context window, minus what the prompt and
 * goal already take and what the answer needs.
 */
export function skillBudget(contextWindow: number, promptTokens: number, answerTokens: number, fraction = 0.7): number {
  return Math.max(0, Math.floor(fraction * contextWindow) - promptTokens - answerTokens)
}
