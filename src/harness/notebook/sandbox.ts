import { existsSync, lstatSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { PYTHON_PACKAGE_DIR } from '../config/paths.ts'
import type { ExecutionSettings } from '../config/settings.ts'

/**
 * Model-written code is hostile until proven otherwise. The sandbox gives it:
 *  - no network (a fresh network namespace: only an isolated loopback),
 *  - a minimal read-only root: system files, the Python install and the venv — not $HOME,
 *    not the project (which may hold .env files), not the skills folder,
 *  - one writable directory (the trial's), and a private /tmp,
 *  - a fresh environment with no API keys, thread counts pinned to 1,
 *  - its own PID namespace that dies with the harness, so nothing outlives a timeout.
 * Memory and CPU limits are rlimits the runner applies to the kernel (see run_notebook.py).
 */

interface SandboxRequest {
  python: string
  args: string[]
  /** The only directory the notebook may write to; it is also the working directory. */
  writableDir: string
  /** Marker placed in the environment so tests can find every process of this run. */
  marker: string
  mode: ExecutionSettings['sandbox']
}

interface SandboxPlan {
  file: string
  args: string[]
  env: Record<string, string>
  isolated: boolean
  /** Set when isolation is off: the caller must show it. */
  warning?: string
}

const THREAD_VARIABLES = [
  'OMP_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
  'MKL_NUM_THREADS',
  'NUMBA_NUM_THREADS',
  'NUMEXPR_NUM_THREADS',
]
const ETC_FILES = [
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'passwd',
  'group',
  'nsswitch.conf',
  'hosts',
  'localtime',
  'ssl',
  'fonts',
  'mime.types',
]

/** The namespaces, identity and mounts every sandbox gets (also what the availability probe runs). */
function baseArgs(): string[] {
  // prettier-ignore
  return [
    '--unshare-all',
    // as root, --unshare-all alone keeps full root: map to nobody in a user namespace, drop every capability
    '--unshare-user',
    '--uid', '65534',
    '--gid', '65534',
    '--cap-drop', 'ALL',
    '--die-with-parent',
    '--new-session',
    ...systemBinds(),
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
  ]
}

let bwrapProbe: Promise<{ ok: boolean; reason: string }> | undefined

/** Whether bubblewrap is installed AND can build the sandbox we use, on this machine. */
export function bubblewrapAvailable(): Promise<{ ok: boolean; reason: string }> {
  bwrapProbe ??= execa('bwrap', [...baseArgs(), '--remount-ro', '/', '--', '/bin/sh', '-c', 'true'], {
    reject: false,
    timeout: 10_000,
  }).then((result) =>
    result.exitCode === 0
      ? { ok: true, reason: 'bubblewrap works' }
      : {
          ok: false,
          reason:
            'code' in result && result.code === 'ENOENT'
              ? 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap'
              : `bubblewrap cannot create the sandbox here: ${result.stderr.trim() || `exit ${result.exitCode}`}`,
        },
  )
  return bwrapProbe
}

const prefixCache = new Map<string, Promise<string[]>>()

/** Directories the Python interpreter needs: the venv and the base installation it links to. */
function pythonRoots(python: string): Promise<string[]> {
  let roots = prefixCache.get(python)
  if (!roots) {
    roots = execa(python, ['-c', 'import sys, json; print(json.dumps([sys.prefix, sys.base_prefix]))'], {
      extendEnv: false,
      env: {},
    }).then(({ stdout }) => [...new Set(JSON.parse(stdout) as string[])])
    prefixCache.set(python, roots)
  }
  return roots
}

function sandboxEnv(scratch: string, marker: string, venvBin: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${venvBin}:/usr/local/bin:/usr/bin:/bin`,
    HOME: path.join(scratch, 'home'),
    LANG: 'C.UTF-8',
    TVB_USER_HOME: path.join(scratch, 'tvb'),
    MPLCONFIGDIR: path.join(scratch, 'matplotlib'),
    NUMBA_CACHE_DIR: path.join(scratch, 'numba'),
    JUPYTER_RUNTIME_DIR: path.join(scratch, 'jupyter-runtime'),
    IPYTHONDIR: path.join(scratch, 'ipython'),
    PYTHONPATH: PYTHON_PACKAGE_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
    SKILLDELTA_SANDBOX_MARKER: marker,
  }
  for (const name of THREAD_VARIABLES) env[name] = '1'
  return env
}

function systemBinds(): string[] {
  const args = ['--ro-bind', '/usr', '/usr']
  for (const dir of ['/bin', '/sbin', '/lib', '/lib64', '/lib32']) {
    if (!existsSync(dir)) continue
    const stat = lstatSync(dir)
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir)
    else args.push('--ro-bind', dir, dir)
  }
  for (const name of ETC_FILES) args.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`)
  return args
}

export async function planSandbox(request: SandboxRequest): Promise<SandboxPlan> {
  const venvBin = path.dirname(request.python)
  const unsandboxed = (warning: string | undefined): SandboxPlan => ({
    file: request.python,
    args: request.args,
    env: sandboxEnv(path.join(request.writableDir, '.scratch'), request.marker, venvBin),
    isolated: false,
    ...(warning ? { warning } : {}),
  })
  // request.mode is already effective: settings turned "auto" into "bwrap" in CI
  const mode = request.mode
  if (mode === 'none') {
    return unsandboxed(
      'sandbox disabled (execution.sandbox: none): model-written code runs with your user rights and network access',
    )
  }
  const probe = await bubblewrapAvailable()
  if (!probe.ok) {
    if (mode === 'bwrap')
      throw new Error(`the notebook sandbox is required (execution.sandbox: bwrap, or auto in CI) but ${probe.reason}`)
    return unsandboxed(
      `ISOLATION IS OFF — ${probe.reason}. Model-written code runs with network access and can read your files.`,
    )
  }
  const roots = await pythonRoots(request.python)
  // prettier-ignore
  const args = [
    ...baseArgs(),
    ...roots.flatMap((root) => ['--ro-bind', root, root]),
    '--ro-bind', PYTHON_PACKAGE_DIR, PYTHON_PACKAGE_DIR,
    '--bind', request.writableDir, request.writableDir,
    // bwrap's root is a tmpfs holding the mount points; make it read-only so a write outside the
    // trial directory (and /tmp) fails loudly instead of vanishing with the sandbox
    '--remount-ro', '/',
    '--chdir', request.writableDir,
    '--',
    request.python,
    ...request.args,
  ]
  return { file: 'bwrap', args, env: sandboxEnv('/tmp/sandbox', request.marker, venvBin), isolated: true }
}
