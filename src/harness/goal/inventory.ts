import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { globFiles } from '../util/glob.ts'
import type { TargetHint } from './body.ts'
import { GoalError, MAX_GOAL_BYTES, parseGoal, type GoalOptions, type GoalOrigins, type GoalWarning } from './parse.ts'
import type { Goal } from './schema.ts'

/**
 * Every goal of a project, parsed as the plugin would compile it — for `skilldelta goals`, which
 * lists them with the origin of every default and exits 1 listing every problem at once.
 */

export interface GoalListing {
  file: string
  goal?: Goal
  origins?: GoalOrigins
  warnings: GoalWarning[]
  hints: TargetHint[]
  errors: GoalError[]
}

interface InventoryOptions extends GoalOptions {
  root: string
  /** Globs relative to the root (the `include` option). */
  include: string[]
}

export function inventoryGoals(options: InventoryOptions): GoalListing[] {
  const files = globFiles(options.root, options.include)
  const listings = files.map((file): GoalListing => {
    const display = path.relative(process.cwd(), file) || file
    const fail = (problem: string, fix: string): GoalListing => ({
      file: display,
      warnings: [],
      hints: [],
      errors: [new GoalError(display, 1, 1, '', problem, fix)],
    })
    let bytes: Buffer
    try {
      // do not read a huge file just to refuse it
      const size = statSync(file).size
      const limit = options.maxBytes ?? MAX_GOAL_BYTES
      if (size > limit) {
        const kb = (n: number) => `${Math.ceil(n / 1024)} KB`
        return fail(`the file is ${kb(size)}, over the ${kb(limit)} limit`, 'a goal is a page of Markdown: shorten it')
      }
      bytes = readFileSync(file)
    } catch (error) {
      return fail(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'check its permissions')
    }
    const parsed = parseGoal(bytes, file, options)
    if (!parsed.ok) return { file: display, warnings: [], hints: [], errors: parsed.errors }
    const { goal, warnings, origins, hints } = parsed
    return { file: display, goal, origins, warnings, hints, errors: [] }
  })

  // two goals with one id would share result directories and cache entries
  const byId = new Map<string, GoalListing[]>()
  for (const listing of listings) {
    if (!listing.goal) continue
    byId.set(listing.goal.id, [...(byId.get(listing.goal.id) ?? []), listing])
  }
  for (const [id, same] of byId) {
    if (same.length < 2) continue
    for (const listing of same) {
      const others = same.filter((other) => other !== listing).map((other) => other.file)
      listing.errors.push(
        new GoalError(
          listing.file,
          listing.goal?.titleLine ?? 1,
          1,
          'id',
          `the id "${id}" is also the id of ${others.join(', ')}`,
          'give one of them its own "id:" in the frontmatter, or rename a file',
        ),
      )
    }
  }
  return listings
}
