import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * Content-addressed caches of model calls and of whole trials, under the run's cache directory
 * (SKILLDELTA_CACHE_DIR). Keys cover everything that can change an outcome — provider endpoint,
 * model id, generation options, the exact messages (and so the skill payload and the goal),
 * condition, sample index, execution limits — so an unchanged matrix reruns with zero model calls,
 * and editing one skill reruns only the cells it reaches. Only finished, deterministic outcomes are
 * stored: a run killed halfway resumes by rerunning.
 */

/** Bump when execution, probing or record semantics change: old entries must not be reused. */
const CACHE_VERSION = 3

const hash = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex')

/** A model call: the answering model's identity (see Provider.identity), the exact request, the sample. */
export function callKey(identity: Record<string, unknown>, request: unknown, sample: number): string {
  return hash({ v: CACHE_VERSION, kind: 'call', model: identity, request, sample })
}

export function trialKey(parts: {
  identity: Record<string, unknown>
  promptHash: string
  goalHash: string
  condition: string
  sample: number
  execution: unknown
  /** The execution environment's content hash (Python lock, runner, sandbox). */
  environment: string
}): string {
  const { identity, ...rest } = parts
  return hash({ v: CACHE_VERSION, kind: 'trial', ...rest, model: identity })
}

/**
 * A check's verdict on a trial's artifacts: the artifacts' content, the check (kind and parameters)
 * and the check's definition (the code that assesses it). An unchanged rerun restores a trial's
 * artifacts and then finds every objective verdict here instead of measuring again.
 */
export function verdictKey(parts: {
  artifacts: string
  check: { kind: string; params: unknown }
  definition: string
}): string {
  return hash({ v: CACHE_VERSION, kind: 'verdict', ...parts })
}

const entry = (dir: string, kind: 'calls' | 'trials' | 'verdicts', key: string) =>
  path.join(dir, kind, key.slice(0, 2), key)

export async function readCall<T>(dir: string, key: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(`${entry(dir, 'calls', key)}.json`, 'utf8')) as T
  } catch {
    return undefined
  }
}

export async function writeCall(dir: string, key: string, value: unknown): Promise<void> {
  const file = `${entry(dir, 'calls', key)}.json`
  await mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(value))
  await rename(tmp, file)
}

/** Copy a finished trial directory into the cache (everything but the notebook's own sandbox dir). */
export async function storeTrial(dir: string, key: string, trialDir: string): Promise<void> {
  const target = entry(dir, 'trials', key)
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
export async function restoreTrial(dir: string, key: string, trialDir: string): Promise<boolean> {
  const source = entry(dir, 'trials', key)
  if (!existsSync(path.join(source, 'trial.json'))) return false
  await cp(source, trialDir, { recursive: true })
  return true
}

/** A stored verdict and the files it attached (kept by name in the entry, next to verdict.json). */
export interface StoredVerdict<V> {
  verdict: V
  files: string[]
}

/** Store a verdict with copies of the files it names (plots); the caller strips their paths to names. */
export async function storeVerdict<V>(dir: string, key: string, stored: StoredVerdict<V>, from: string): Promise<void> {
  const target = entry(dir, 'verdicts', key)
  const tmp = `${target}.${process.pid}.tmp`
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true })
  for (const name of stored.files) await cp(path.join(from, name), path.join(tmp, name))
  await writeFile(path.join(tmp, 'verdict.json'), JSON.stringify(stored))
  await rm(target, { recursive: true, force: true })
  await rename(tmp, target)
}

/** A stored verdict, its files copied into `into`; undefined when there is none. */
export async function restoreVerdict<V>(dir: string, key: string, into: string): Promise<StoredVerdict<V> | undefined> {
  const source = entry(dir, 'verdicts', key)
  let stored: StoredVerdict<V>
  try {
    stored = JSON.parse(await readFile(path.join(source, 'verdict.json'), 'utf8')) as StoredVerdict<V>
    // names only: the files live in the entry, and go into the trial directory itself
    for (const name of stored.files.map((file) => path.basename(file)))
      await cp(path.join(source, name), path.join(into, name))
  } catch {
    return undefined
  }
  return stored
}
