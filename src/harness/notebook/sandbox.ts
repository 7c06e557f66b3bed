import { existsSync, lstatSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { PYTHON_PACKAGE_DIR } from '../config/paths.ts'
import type { ExecutionSettings } from '../config/settings.ts'

/**
 * Model-written code is hostile until proven otherwise. Only the kernel (and the harness's tools that
 * read model-written files) run inside the sandbox; the notebook runner stays outside it. The sandbox
 * gives them:
 *  - no network (a fresh network namespace: only an isolated loopback),
 *  - a minimal read-only root: system files, the Python install and the venv — not $HOME, not the
 *    project (which may hold .env files), not the skills folder, not the trial directory,
 *  - a private, size-capped /tmp (the notebook's working directory is /tmp/work) and /dev/shm,
 *  - uid 65534 in a user namespace with every capability dropped and no further user namespaces,
 *  - a fresh environment with no API keys, thread counts pinned to 1,
 *  - its own PID namespace that dies with its parent, so nothing outlives a timeout.
 * The runner adds a cgroup (memory including tmpfs, process count) and a seccomp filter (no ptrace and
 * no other debugging or escape calls) where the machine allows: see python/skilldelta_py/confinement.py.
 */

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
/** The notebook's working directory inside the sandbox. */
export const WORKSPACE = '/tmp/work'

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

/** The namespaces, identity and mounts every sandbox gets (also what the availability probe runs). */
function baseArgs(tmpMb = 256): string[] {
  // prettier-ignore
  return [
    '--unshare-all',
    // as root, --unshare-all alone keeps full root: map to nobody in a user namespace, drop every capability
    '--unshare-user',
    '--uid', '65534',
    '--gid', '65534',
    '--cap-drop', 'ALL',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    ...systemBinds(),
    '--proc', '/proc',
    '--dev', '/dev',
    '--size', String(tmpMb * 1024 * 1024), '--tmpfs', '/tmp',
    '--size', String(64 * 1024 * 1024), '--tmpfs', '/dev/shm',
  ]
}

type Availability = { ok: boolean; reason: string }
let bwrapProbe: Promise<Availability> | undefined

/** Whether bubblewrap is installed AND can build the sandbox we use, on this machine. */
export function bubblewrapAvailable(): Promise<Availability> {
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
              ? 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap (npm run setup does it as root)'
              : `bubblewrap cannot create the sandbox here: ${result.stderr.trim() || `exit ${result.exitCode}`}`,
        },
  )
  return bwrapProbe
}

/** Isolation is never silently off: bubblewrap is required unless the user chose `none`. */
export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError'
}

export async function requireSandbox(mode: ExecutionSettings['sandbox']): Promise<void> {
  if (mode === 'none') return
  const probe = await bubblewrapAvailable()
  if (!probe.ok) {
    throw new SandboxUnavailableError(
      `the notebook sandbox is required but ${probe.reason}. Install bubblewrap, or run model-written code ` +
        'without isolation on purpose with execution.sandbox: "none" (or SKILLDELTA_SANDBOX=none).',
    )
  }
}

export const UNISOLATED_WARNING =
  'ISOLATION IS OFF (execution.sandbox: none): model-written code runs as your user, with network access, ' +
  'and can read your files and the environment of your processes'

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

/** The environment of sandboxed code: nothing from the harness's (no keys), writable places under `scratch`. */
export function sandboxEnv(scratch: string, marker: string, python: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${path.dirname(python)}:/usr/local/bin:/usr/bin:/bin`,
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
    // The harness's TVB lacks its optional geodesic-distance module and says so when first imported:
    // in whichever cell imports TVB, unless a kernel started ahead already had (notebooks see neither).
    PYTHONWARNINGS: 'ignore:Geodesic distance module is unavailable:UserWarning',
    SKILLDELTA_SANDBOX_MARKER: marker,
  }
  for (const name of THREAD_VARIABLES) env[name] = '1'
  return env
}

export interface KernelSandbox {
  /** The command prefix the runner puts before the kernel's command ([] when isolation is off). */
  prefix: string[]
  /** The kernel's environment. */
  env: Record<string, string>
  isolated: boolean
}

/**
 * How the runner starts the kernel: under bubblewrap, sharing only `runtimeDir` (the connection file
 * and the kernel's Unix sockets) with the host.
 */
export async function planKernelSandbox(request: {
  python: string
  runtimeDir: string
  marker: string
  mode: ExecutionSettings['sandbox']
  diskMb: number
}): Promise<KernelSandbox> {
  if (request.mode === 'none') {
    return {
      prefix: [],
      env: sandboxEnv(path.join(request.runtimeDir, 'scratch'), request.marker, request.python),
      isolated: false,
    }
  }
  await requireSandbox(request.mode)
  const roots = await pythonRoots(request.python)
  // prettier-ignore
  const prefix = [
    'bwrap',
    ...baseArgs(request.diskMb),
    '--unsetenv', 'JPY_PARENT_PID', // ipykernel would watch a pid from another namespace and quit
    ...roots.flatMap((root) => ['--ro-bind', root, root]),
    '--ro-bind', PYTHON_PACKAGE_DIR, PYTHON_PACKAGE_DIR,
    '--bind', request.runtimeDir, request.runtimeDir,
    '--dir', WORKSPACE,
    // the root holding the mount points becomes read-only: a write outside /tmp fails loudly
    '--remount-ro', '/',
    '--chdir', WORKSPACE,
    '--',
  ]
  return { prefix, env: sandboxEnv('/tmp', request.marker, request.python), isolated: true }
}

export interface ToolPlan {
  file: string
  args: string[]
  env: Record<string, string>
  isolated: boolean
}

/**
 * A whole harness tool (jupytext, nbconvert, the syntax check) run on model-written input in a
 * throwaway sandbox: `writableDir` is the only directory it shares with the host.
 */
export async function planToolSandbox(request: {
  python: string
  args: string[]
  writableDir: string
  marker: string
  mode: ExecutionSettings['sandbox']
}): Promise<ToolPlan> {
  if (request.mode === 'none') {
    const env = sandboxEnv(path.join(request.writableDir, '.scratch'), request.marker, request.python)
    return { file: request.python, args: request.args, env, isolated: false }
  }
  await requireSandbox(request.mode)
  const roots = await pythonRoots(request.python)
  // prettier-ignore
  const args = [
    ...baseArgs(),
    ...roots.flatMap((root) => ['--ro-bind', root, root]),
    '--ro-bind', PYTHON_PACKAGE_DIR, PYTHON_PACKAGE_DIR,
    '--bind', request.writableDir, request.writableDir,
    '--remount-ro', '/',
    '--chdir', request.writableDir,
    '--',
    request.python,
    ...request.args,
  ]
  return { file: 'bwrap', args, env: sandboxEnv('/tmp/sandbox', request.marker, request.python), isolated: true }
}
