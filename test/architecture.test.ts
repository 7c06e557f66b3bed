import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { ROOT } from './helpers.ts'

/**
 * The shape docs/architecture.md promises, checked on the source: one direction between the
 * harness's folders, and the environment read in one place.
 */

const SRC = path.join(ROOT, 'src')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sources(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

/** src/harness/<folder>/… → <folder>; anything else under src/ → its path. */
const unit = (file: string): string => {
  const relative = path.relative(SRC, file).split(path.sep)
  return relative[0] === 'harness' ? (relative[1] ?? '') : relative.join('/')
}

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>()
  for (const file of sources(path.join(SRC, 'harness'))) {
    const from = unit(file)
    const edges = graph.get(from) ?? new Set<string>()
    graph.set(from, edges)
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), match[1]!)
      if (!target.startsWith(path.join(SRC, 'harness'))) continue
      const to = unit(target)
      if (to !== from) edges.add(to)
    }
  }
  return graph
}

function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = []
  const visit = (node: string, trail: string[]) => {
    const at = trail.indexOf(node)
    if (at >= 0) return void found.push([...trail.slice(at), node])
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node])
  }
  for (const node of graph.keys()) visit(node, [])
  return found
}

describe('architecture', () => {
  test('the harness folders depend on each other in one direction (no folder cycles)', () => {
    const graph = folderGraph()
    expect(graph.size).toBeGreaterThan(10) // the scan found the folders
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([])
  })

  test('the cycle finder finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ])
    expect(cycles(graph)[0]).toEqual(['a', 'b', 'c', 'a'])
  })

  test('SKILLDELTA_* variables are read in one module (config/env.ts); everything else gets values', () => {
    const readers = [...sources(SRC), ...sources(path.join(ROOT, 'reporters'))]
      .filter((file) => !file.endsWith(path.join('config', 'env.ts')))
      .filter((file) =>
        /process\.env\.SKILLDELTA_|env\[['"]SKILLDELTA_|process\.env\.CI\b/.test(readFileSync(file, 'utf8')),
      )
      .map((file) => path.relative(ROOT, file))
    expect(readers).toEqual([])
    expect(readFileSync(path.join(SRC, 'harness/config/env.ts'), 'utf8')).toMatch(/SKILLDELTA_RUN_ID/)
  })

  test('only the results store touches records.jsonl', () => {
    const writers = sources(SRC)
      .filter((file) => readFileSync(file, 'utf8').includes("'records.jsonl'"))
      .map((file) => path.relative(ROOT, file))
    expect(writers).toEqual(['src/harness/results/store.ts'])
  })
})
