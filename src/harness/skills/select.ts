import { estimateTokens } from '../util/defined.ts'
import type { Skill } from './load.ts'

/**
 * Which skills a goal gets, within a model's budget. Lesson from an earlier pipeline: substring
 * matching on short words ("dt", "map") selected nearly everything, and 36 KB of skills overflowed a
 * 32K-context model. So: keywords match on word boundaries, free text is ranked with BM25, only
 * clearly relevant skills are offered, in a deterministic order, and the payload is capped.
 */

export { estimateTokens }

const STOPWORDS = new Set(
  ('a an and are as at be by for from has have in is it its of on or that the this to was were with ' +
    'use using your you').split(' '),
)

function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9_]+/g) ?? []).filter((t) => t.length > 1 && !STOPWORDS.has(t))
}

/** Okapi BM25 scores of each document against the query (k1 = 1.2, b = 0.75). */
export function bm25(query: string, documents: string[], k1 = 1.2, b = 0.75): number[] {
  const docs = documents.map(tokenize)
  const averageLength = docs.reduce((sum, d) => sum + d.length, 0) / Math.max(docs.length, 1)
  const documentFrequency = new Map<string, number>()
  for (const doc of docs) {
    for (const term of new Set(doc)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1)
  }
  const terms = [...new Set(tokenize(query))]
  return docs.map((doc) => {
    const counts = new Map<string, number>()
    for (const term of doc) counts.set(term, (counts.get(term) ?? 0) + 1)
    return terms.reduce((score, term) => {
      const tf = counts.get(term) ?? 0
      if (tf === 0) return score
      const n = documentFrequency.get(term) ?? 0
      const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5))
      return score + (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * doc.length) / Math.max(averageLength, 1)))
    }, 0)
  })
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Keywords of a skill found in the text as whole words (case-insensitive). */
export function keywordHits(keywords: string[], text: string): string[] {
  return keywords.filter((keyword) => new RegExp(`(?<![\\w])${escapeRegExp(keyword)}(?![\\w])`, 'i').test(text))
}

interface SkillChoice {
  skill: Skill
  tokens: number
  score: number
  reason: 'always' | 'keywords' | 'retrieval' | 'listed'
  keywords: string[]
}

export interface Selection {
  chosen: SkillChoice[]
  /** Relevant skills left out, and why (over budget). */
  dropped: { name: string; tokens: number; why: string }[]
  budgetTokens: number
  usedTokens: number
}

interface SelectOptions {
  /** The goal's text (title, body, keywords). */
  query: string
  budgetTokens: number
  always?: string[]
  /** Offer exactly these skills (still within budget), instead of selecting. */
  only?: string[]
  /** A retrieval-only match must score at least this fraction of the best BM25 score… */
  minRelativeScore?: number
  /** …and share at least this many distinct terms with the goal (one common word is chance). */
  minSharedTerms?: number
}

export function selectSkills(skills: Skill[], options: SelectOptions): Selection {
  const documents = skills.map((s) => `${s.name} ${s.description} ${s.keywords.join(' ')} ${s.body}`)
  const scores = bm25(options.query, documents)
  const best = Math.max(0, ...scores)
  const always = new Set(options.always ?? [])
  const only = options.only ? new Set(options.only) : undefined
  const threshold = (options.minRelativeScore ?? 0.5) * best
  const queryTerms = new Set(tokenize(options.query))
  const shared = documents.map((doc) => new Set(tokenize(doc).filter((t) => queryTerms.has(t))).size)

  const candidates: SkillChoice[] = []
  skills.forEach((skill, index) => {
    const score = scores[index] ?? 0
    const keywords = keywordHits(skill.keywords, options.query)
    const tokens = estimateTokens(skill.body)
    let reason: SkillChoice['reason'] | undefined
    if (only) reason = only.has(skill.name) ? 'listed' : undefined
    else if (always.has(skill.name)) reason = 'always'
    else if (keywords.length > 0) reason = 'keywords'
    else if (best > 0 && score >= threshold && (shared[index] ?? 0) >= (options.minSharedTerms ?? 2)) {
      reason = 'retrieval'
    }
    if (reason) candidates.push({ skill, tokens, score, reason, keywords })
  })
  const rank = { always: 0, listed: 0, keywords: 1, retrieval: 2 }
  candidates.sort(
    (a, b) =>
      rank[a.reason] - rank[b.reason] ||
      b.keywords.length - a.keywords.length ||
      b.score - a.score ||
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
  return { chosen, dropped, budgetTokens: options.budgetTokens, usedTokens: used }
}

/**
 * Tokens a model can spend on skills: a fraction of its context window, minus what the prompt and
 * goal already take and what the answer needs.
 */
export function skillBudget(contextWindow: number, promptTokens: number, answerTokens: number, fraction = 0.7): number {
  return Math.max(0, Math.floor(fraction * contextWindow) - promptTokens - answerTokens)
}
