import { TIERS, type GoalTier, type Tier } from './schema.ts'

/**
 * A goal's tier from the folders it sits in. Collections name their folders in their own way
 * (`goals/`, `goals_abstract/`, `goals_research/`, `tutorial/`, …) and at any depth, so every
 * folder on the path counts; the `tiers:` option maps a project's own folder names. A goal whose
 * folders name no tier is `untiered` (a warning, not an error).
 */

/** Folder names (normalised: lower case, "-" and " " as "_") that name a tier. */
export const TIER_ALIASES: Readonly<Record<string, Tier>> = {
  tutorial: 'tutorial',
  tutorials: 'tutorial',
  goals_tutorial: 'tutorial',
  abstract: 'abstract',
  abstracts: 'abstract',
  goals_abstract: 'abstract',
  research: 'research',
  goals_research: 'research',
  paper: 'research',
  papers: 'research',
}

/** Weaker than every alias: a plain `goals/` folder holds a collection's basic (tutorial) goals. */
const WEAK_ALIASES: Readonly<Record<string, Tier>> = { goals: 'tutorial' }

export const normaliseFolder = (name: string): string => name.toLowerCase().replace(/[-\s]+/g, '_')

export interface TierInference {
  tier: GoalTier
  /** Why: the folder that named it, or that none did. */
  reason: string
}

/**
 * The tier named by `folders` (outermost first): the project's mapping first, then the aliases,
 * the folder nearest the file winning; then a plain `goals/` folder; else untiered.
 */
export function inferTier(folders: string[], mapping: Readonly<Record<string, Tier>> = {}): TierInference {
  const own = Object.fromEntries(Object.entries(mapping).map(([key, tier]) => [normaliseFolder(key), tier]))
  const inner = [...folders].reverse()
  for (const table of [own, TIER_ALIASES, WEAK_ALIASES]) {
    for (const folder of inner) {
      const tier = table[normaliseFolder(folder)]
      if (tier) {
        const via = table === own ? ' (the tiers option)' : ''
        return { tier, reason: `folder "${folder}"${via}` }
      }
    }
  }
  return { tier: 'untiered', reason: 'no folder on its path names a tier' }
}

export const isTier = (value: string): value is Tier => (TIERS as readonly string[]).includes(value)

/** Notebook execution budget by tier, when the goal gives none: research notebooks run longer. */
export const DEFAULT_TIMEOUTS: Readonly<Record<GoalTier, number>> = {
  tutorial: 600,
  abstract: 600,
  research: 1800,
  untiered: 600,
}
