/**
 * Goal tiers. They live here, at the bottom of the graph, because the settings (the `tiers:` option)
 * and the goal parser both need them.
 */
export const TIERS = ['tutorial', 'abstract', 'research'] as const
export type Tier = (typeof TIERS)[number]
