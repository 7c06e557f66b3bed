import { readdirSync } from 'node:fs'
import path from 'node:path'

/**
 * The files under `root` matching include globs (`**`, `*`, `?`, `{a,b}`), sorted. Enough for
 * `benchmarks/**\/*.GOAL.md`-style patterns without another dependency; hidden folders and
 * node_modules are never entered.
 */

export function globToRegExp(glob: string): RegExp {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches zero or more folders; a trailing "**" anything
        const slash = glob[i + 2] === '/'
        out += slash ? '(?:[^/]*/)*' : '.*'
        i += slash ? 2 : 1
      } else out += '[^/]*'
    } else if (c === '?') out += '[^/]'
    else if (c === '{') {
      const end = glob.indexOf('}', i)
      if (end < 0) out += '\\{'
      else {
        out += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((part) => part.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('|')})`
        i = end
      }
    } else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}

/** The part of a glob before its first wildcard: the folder to walk. */
function staticBase(glob: string): string {
  const parts = glob.split('/')
  const fixed: string[] = []
  for (const part of parts.slice(0, -1)) {
    if (/[*?{]/.test(part)) break
    fixed.push(part)
  }
  return fixed.join('/')
}

function walk(dir: string, found: string[]): void {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) walk(full, found)
    else if (entry.isFile()) found.push(full)
  }
}

export function globFiles(root: string, patterns: string[]): string[] {
  const matched = new Set<string>()
  for (const pattern of patterns) {
    const normalised = pattern.replace(/\\/g, '/').replace(/^\.\//, '')
    const matcher = globToRegExp(normalised)
    const files: string[] = []
    walk(path.resolve(root, staticBase(normalised)), files)
    for (const file of files) {
      const relative = path.relative(root, file).split(path.sep).join('/')
      if (matcher.test(relative)) matched.add(file)
    }
  }
  return [...matched].sort()
}
