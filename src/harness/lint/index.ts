import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { runAnalysis } from '../analysis/python.ts'
import type { ExecutionSettings } from '../config/settings.ts'
import { executeNotebook } from '../notebook/execute.ts'
import { notebookFromScript } from '../notebook/convert.ts'
import { codeIn, isPython } from './markdown.ts'

/**
 * `skilldelta lint`: goals and skills against the pinned TVB. Every TVB name in a code span or a
 * Python block is looked up by introspection (python/skilldelta_py/tvb_lint.py: nothing is run),
 * and every Python block of a skill is executed, in order, in the notebook sandbox.
 */

export interface LintProblem {
  file: string
  line: number
  message: string
}

const NamesResultSchema = z.object({
  problems: z.array(z.object({ file: z.string(), line: z.number(), message: z.string() })),
  checked: z.number(),
})

/** TVB names in the files' code spans and Python blocks that the pinned TVB does not have. */
export async function lintNames(files: string[], root: string): Promise<{ problems: LintProblem[]; checked: number }> {
  const items = files.flatMap((file) =>
    codeIn(readFileSync(file, 'utf8'))
      .filter((item) => item.kind === 'span' || isPython(item))
      .map(({ kind, line, text }) => ({ file: path.relative(root, file), kind, line, text })),
  )
  const response = await runAnalysis('tvb_lint', { items }, NamesResultSchema)
  if (!response.ok) throw new Error(`the TVB name check could not run: ${response.problem}`)
  return response.result
}

/**
 * Run a skill's Python blocks, in order, as the cells of one notebook in the sandbox: a skill's code
 * must run on the pinned TVB as written. The first failing block is reported at its line.
 */
export async function runSkillCode(
  file: string,
  root: string,
  work: string,
  execution: ExecutionSettings,
  timeoutSeconds = 300,
): Promise<LintProblem[]> {
  const blocks = codeIn(readFileSync(file, 'utf8')).filter(isPython)
  if (blocks.length === 0) return []
  const shown = path.relative(root, file)
  const name = shown.replace(/[^\w.-]+/g, '_')
  await mkdir(work, { recursive: true })
  const script = path.join(work, `${name}.py`)
  await writeFile(script, blocks.map((b) => `# %%\n${b.text}\n`).join('\n'))
  const notebook = path.join(work, `${name}.ipynb`)
  await notebookFromScript(script, notebook, execution.sandbox)
  const report = await executeNotebook({
    notebook,
    trialDir: path.join(work, name),
    totalTimeoutSeconds: timeoutSeconds,
    probe: false,
    settings: execution,
  })
  if (report.status === 'ok') return []
  const error = report.firstError
  const block = blocks[error?.cell ?? 0] ?? blocks[0]!
  const what = error ? `${error.ename}: ${error.evalue}`.slice(0, 300) : report.status
  return [{ file: shown, line: block.line, message: `this Python block fails on the pinned TVB (${what})` }]
}
