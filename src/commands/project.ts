import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { rememberedProject } from '../harness/config/project.ts'
import { resolveSettings, type Settings } from '../harness/config/settings.ts'

const CONFIG_FILES = ['vitest.config.ts', 'vitest.config.mts', 'vitest.config.js', 'vitest.config.mjs']

/**
 * The project's settings, as `vitest run` would resolve them: the project's vitest.config is
 * imported, and defineSkilldeltaConfig() records what it resolved. A project without one (or whose
 * config does not use skilldelta) gets the defaults.
 */
export async function projectSettings(root = process.cwd(), configFile?: string): Promise<Settings> {
  const candidates = configFile ? [path.resolve(root, configFile)] : CONFIG_FILES.map((f) => path.join(root, f))
  const found = candidates.find((file) => existsSync(file))
  if (configFile && !found) throw new Error(`no config file ${configFile}`)
  if (found) {
    await import(pathToFileURL(found).href)
    const settings = rememberedProject(root)
    if (settings) return settings
  }
  return resolveSettings({}, root)
}
