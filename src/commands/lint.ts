import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Settings } from '../harness/config/settings.ts'
import { lintNames, runSkillCode, type LintProblem } from '../harness/lint/index.ts'
import { loadSkills } from '../harness/skills/load.ts'
import { globFiles } from '../harness/util/glob.ts'
import { terminalSafe } from '../harness/util/terminal.ts'

/**
 * `skilldelta lint [--no-run]`: every goal and skill against the pinned TVB — names by introspection,
 * skills' Python blocks executed in the sandbox. Prints file:line: problem; exit 1 when any.
 */
export async function lintCommand(settings: Settings, run: boolean): Promise<number> {
  const goals = globFiles(settings.root, settings.include)
  const skills = loadSkills(settings.skillsDir, { maxBytes: settings.skills.maxBytes }).skills.map((s) => s.file)
  const { problems, checked } = await lintNames([...goals, ...skills], settings.root)
  const all: LintProblem[] = [...problems]
  if (run) {
    const work = await mkdtemp(path.join(tmpdir(), 'skilldelta-lint-'))
    try {
      for (const file of skills) all.push(...(await runSkillCode(file, settings.root, work, settings.execution)))
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  }
  all.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
  // goal and skill files are untrusted input (pull requests): print their text terminal-safe
  for (const p of all) console.log(terminalSafe(`${p.file}:${p.line}: ${p.message}`))
  const ran = run ? `; the Python blocks of ${skills.length} skill(s) executed in the sandbox` : ''
  console.log(
    `${checked} TVB name(s) checked in ${goals.length} goal(s) and ${skills.length} skill(s)${ran}: ` +
      `${all.length ? `${all.length} problem(s)` : 'no problems'}`,
  )
  return all.length ? 1 : 0
}
