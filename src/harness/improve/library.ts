import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { cp, mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { loadSkills, type Skill } from '../skills/load.ts'
import { estimateTokens } from '../util/defined.ts'

/**
 * A skill library as the improvement loop handles it: a directory of skill folders, named by the hash
 * of its content and never changed once written (`results/<improve id>/libraries/<hash>/`). The
 * champion and every candidate are such snapshots, so an arm of an evaluation names exactly what it
 * offered, and an evaluation of the same library is the same cells (and cache entries) whenever it runs.
 */

export interface Library {
  /** The snapshot's directory. */
  dir: string
  /** 12 hex digits of the sha256 of every file's path and bytes. */
  hash: string
}

/** Every regular file under `dir` (not hidden, not through symlinks), as paths relative to it, sorted. */
export function libraryFiles(dir: string): string[] {
  const found: string[] = []
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue
      const full = path.join(at, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) found.push(path.relative(dir, full).split(path.sep).join('/'))
    }
  }
  if (existsSync(dir)) walk(dir)
  return found.sort()
}

export function libraryHash(dir: string): string {
  const hash = createHash('sha256')
  for (const file of libraryFiles(dir)) {
    hash.update(`${file}\u0000`)
    hash.update(readFileSync(path.join(dir, ...file.split('/'))))
    hash.update('\u0000')
  }
  return hash.digest('hex').slice(0, 12)
}

/**
 * Snapshot a directory of skills into `librariesDir/<hash>` (a library already there is the same
 * content: it is kept). `move`: the source is a scratch directory the snapshot may take over.
 */
export async function snapshot(source: string, librariesDir: string, move = false): Promise<Library> {
  const hash = libraryHash(source)
  const dir = path.join(librariesDir, hash)
  if (existsSync(dir)) {
    if (move) await rm(source, { recursive: true, force: true })
    return { dir, hash }
  }
  await mkdir(librariesDir, { recursive: true })
  const tmp = `${dir}.${process.pid}.tmp`
  await rm(tmp, { recursive: true, force: true })
  if (move) await rename(source, tmp)
  else
    await cp(source, tmp, {
      recursive: true,
      filter: (from) => !path.basename(from).startsWith('.') || from === source,
    })
  await rename(tmp, dir)
  return { dir, hash }
}

/** An arm of an evaluation is named by its library (and by the block of samples it draws, when not the first). */
export const armName = (library: Pick<Library, 'hash'>, block = 0, aa = false): string =>
  `lib-${library.hash}${aa ? '-aa' : block > 0 ? `-b${block}` : ''}`

/** What a student is given of a library: its driver skills, in estimated tokens. */
export function libraryTokens(dir: string, maxBytes?: number): { total: number; skills: Record<string, number> } {
  const { skills } = loadSkills(dir, maxBytes === undefined ? {} : { maxBytes })
  const sizes = Object.fromEntries(skills.filter((s) => s.role === 'driver').map((s) => [s.name, skillTokens(s)]))
  return { total: Object.values(sizes).reduce((a, b) => a + b, 0), skills: sizes }
}

export const skillTokens = (skill: Pick<Skill, 'body'>): number => estimateTokens(skill.body)

/** Where a new skill goes in a library: beside the others (under driver/ when the library has that folder). */
export function newSkillDir(libraryDir: string, name: string): string {
  const driver = path.join(libraryDir, 'driver')
  return path.join(existsSync(driver) ? driver : libraryDir, name)
}

/** Skills added, changed (their folder's content differs) and removed between two libraries. */
export function libraryDiff(from: string, to: string): { added: string[]; changed: string[]; removed: string[] } {
  const index = (dir: string) => new Map(loadSkills(dir).skills.map((s) => [s.name, libraryHash(s.dir)] as const))
  const before = index(from)
  const after = index(to)
  return {
    added: [...after.keys()].filter((name) => !before.has(name)).sort(),
    changed: [...after.keys()].filter((name) => before.has(name) && before.get(name) !== after.get(name)).sort(),
    removed: [...before.keys()].filter((name) => !after.has(name)).sort(),
  }
}
