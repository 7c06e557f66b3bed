import { randomUUID } from 'node:crypto'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { harnessPython } from '../config/paths.ts'
import type { ExecutionSettings } from '../config/settings.ts'
import { harvest } from './harvest.ts'
import { planSandbox } from './sandbox.ts'

export class ConversionError extends Error {
  override name = 'ConversionError'
}

const MAX_NOTEBOOK_BYTES = 50_000_000

/**
 * Build notebook.ipynb from a percent-format script with jupytext + nbformat, so the harness,
 * not the model, writes notebook JSON. Runs in a throwaway sandbox: the script is model-written text.
 */
export async function notebookFromScript(script: string, notebook: string, mode: ExecutionSettings['sandbox']): Promise<number> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'skilldelta-convert-'))
  try {
    await copyFile(script, path.join(work, 'workflow.py'))
    const plan = await planSandbox({
      python: harnessPython(),
      args: ['-m', 'skilldelta_py.notebook_from_script', path.join(work, 'workflow.py'), path.join(work, 'workflow.ipynb')],
      writableDir: work,
      marker: randomUUID(),
      mode,
    })
    const result = await execa(plan.file, plan.args, { env: plan.env, extendEnv: false, reject: false, timeout: 60_000, cwd: work })
    if (result.exitCode !== 0) {
      throw new ConversionError(`could not turn the script into a notebook: ${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`}`)
    }
    await writeFile(notebook, await harvest(work, 'workflow.ipynb', MAX_NOTEBOOK_BYTES))
    return Number.parseInt(result.stdout.trim(), 10)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
