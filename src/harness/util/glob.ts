import { globSync } from 'tinyglobby'

/**
 * The files under `root` that `include` globs match, sorted: with tinyglobby, the library Vitest
 * itself resolves `include` with, so `skilldelta goals` lists exactly what `vitest run` collects.
 */
export function globFiles(root: string, patterns: string[]): string[] {
  return globSync(patterns, { cwd: root, absolute: true, ignore: ['**/node_modules/**'] }).sort()
}
