import type { Settings } from './settings.ts'

/**
 * The settings `defineSkilldeltaConfig()` resolved, by project root, for commands that read a
 * project's configuration without running Vitest (`skilldelta goals`, `skilldelta skills`): they
 * import vitest.config.ts, and the call records what it resolved here. A registry shared by every
 * copy of this module (a config may load its own copy).
 */
const REGISTRY = Symbol.for('skilldelta.projects')

function registry(): Map<string, Settings> {
  const holder = globalThis as { [REGISTRY]?: Map<string, Settings> }
  return (holder[REGISTRY] ??= new Map())
}

export function rememberProject(settings: Settings): void {
  registry().set(settings.root, settings)
}

export const rememberedProject = (root: string): Settings | undefined => registry().get(root)
