import { randomUUID } from 'node:crypto'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { harnessPython } from '../config/paths.ts'
import type { ExecutionSettings } from '../config/settings.ts'
import { harvest } from './harvest.ts'
import { planToolSandbox } from './sandbox.ts'

interface ScratchTransform {
  /** A module of python/skilldelta_py run as `python -m <module> <input> <output>`. */
  module: string
  input: string
  output: string
  /** File names inside the scratch directory (the module sees only these). */
  inputName: string
  outputName: string
  maxOutputBytes: number
  mode: ExecutionSettings['sandbox']
  timeoutMs?: number
}

/**
 * Run a harness Python tool on model-written input (a script, a notebook) in a throwaway sandbox:
 * a scratch copy of the input in, one harvested file out. Returns the tool's stdout; throws with
 * the tool's last stderr line when it fails.
 */
export async function transformInSandbox(task: ScratchTransform): Promise<string> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'skilldelta-scratch-'))
  try {
    await copyFile(task.input, path.join(work, task.inputName))
    const plan = await planToolSandbox({
      python: harnessPython(),
      args: ['-m', task.module, path.join(work, task.inputName), path.join(work, task.outputName)],
      writableDir: work,
      marker: randomUUID(),
      mode: task.mode,
    })
    const result = await execa(plan.file, plan.args, {
      env: plan.env,
      extendEnv: false,
      reject: false,
      timeout: task.timeoutMs ?? 60_000,
      cwd: work,
    })
    if (result.exitCode !== 0) throw new Error(result.stderr.trim().split('\n').at(-1) || `exit ${result.exitCode}`)
    await writeFile(task.output, await harvest(work, task.outputName, task.maxOutputBytes))
    return result.stdout
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
