import type { ExecutionSettings } from '../config/settings.ts'
import { transformInSandbox } from './scratch.ts'

export class ConversionError extends Error {
  override name = 'ConversionError'
}

const MAX_NOTEBOOK_BYTES = 50_000_000

/**
 * Build notebook.ipynb from a percent-format script with jupytext + nbformat, so the harness,
 * not the model, writes notebook JSON. Runs in a throwaway sandbox: the script is model-written text.
 */
export async function notebookFromScript(
  script: string,
  notebook: string,
  mode: ExecutionSettings['sandbox'],
): Promise<number> {
  let stdout: string
  try {
    stdout = await transformInSandbox({
      module: 'skilldelta_py.notebook_from_script',
      input: script,
      output: notebook,
      inputName: 'workflow.py',
      outputName: 'workflow.ipynb',
      maxOutputBytes: MAX_NOTEBOOK_BYTES,
      mode,
    })
  } catch (error) {
    throw new ConversionError(`could not turn the script into a notebook: ${(error as Error).message}`)
  }
  return Number.parseInt(stdout.trim(), 10)
}
