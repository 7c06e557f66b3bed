import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { execa } from 'execa'
import { harnessPython } from '../config/paths.ts'
import type { ExecutionSettings } from '../config/settings.ts'
import { planSandbox } from './sandbox.ts'

export class ConversionError extends Error {
  override name = 'ConversionError'
}

/**
 * Build notebook.ipynb from a percent-format script with jupytext + nbformat, so the harness,
 * not the model, writes notebook JSON. Runs in the sandbox: the script is model-written text.
 */
export async function notebookFromScript(script: string, notebook: string, workDir: string, mode: ExecutionSettings['sandbox']): Promise<number> {
  const plan = await planSandbox({
    python: harnessPython(),
    args: ['-m', 'skilldelta_py.notebook_from_script', path.resolve(script), path.resolve(notebook)],
    writableDir: path.resolve(workDir),
    marker: randomUUID(),
    mode,
  })
  const result = await execa(plan.file, plan.args, { env: plan.env, extendEnv: false, reject: false, timeout: 60_000, cwd: workDir })
  if (result.exitCode !== 0) {
    throw new ConversionError(`could not turn the script into a notebook: ${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`}`)
  }
  return Number.parseInt(result.stdout.trim(), 10)
}
