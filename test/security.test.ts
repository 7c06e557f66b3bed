// Regression tests for the sandbox/harness review: each test reproduces an attack or failure that
// once worked, and asserts it no longer does.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { measurePsd } from '../src/harness/analysis/psd.ts'
import { ExecutionSettingsSchema } from '../src/harness/config/settings.ts'
import { compileGoal } from '../src/harness/goal/compile.ts'
import { executeNotebook } from '../src/harness/notebook/execute.ts'
import { harvest, HarvestError } from '../src/harness/notebook/harvest.ts'
import { renderNotebookHtml } from '../src/harness/notebook/render.ts'
import { resolveSettings } from '../src/harness/config/settings.ts'
import { bubblewrapAvailable } from '../src/harness/notebook/sandbox.ts'
import { plainText, terminalSafe } from '../src/harness/util/terminal.ts'
import { notebookJson, printed, python, ROOT, tempDir, writeSignal } from './helpers.ts'

const dir = tempDir('sd-sec-')
let n = 0
async function run(cells: string[], extra: { signal?: AbortSignal } = {}) {
  n += 1
  const file = path.join(dir, `nb-${n}.ipynb`)
  writeFileSync(file, notebookJson(cells))
  const trialDir = path.join(dir, `trial-${n}`)
  const report = await executeNotebook({ notebook: file, trialDir, totalTimeoutSeconds: 60, ...extra })
  return { report, trialDir }
}

describe('GOAL.md is untrusted input to the compiler', () => {
  const goal = (title: string) => `---\ntier: tutorial\ntitle: ${JSON.stringify(title)}\n---\n# Goal: x\n`

  test('a file path with a newline, backtick or line separator is refused', () => {
    for (const evil of ['D\nconsole.log(1)/x.GOAL.md', 'a`b/x.GOAL.md', 'a\u2028b/x.GOAL.md']) {
      const compiled = compileGoal(goal('ok'), path.join(ROOT, 'benchmarks/tutorial', evil), { runtimeImport: 'x' })
      expect(compiled.error?.problem).toContain('control characters')
      expect(compiled.code).not.toContain('\nconsole.log(1)') // only ever JSON-escaped inside a string
    }
  })

  test('a hostile title stays inside a string literal', () => {
    const compiled = compileGoal(
      goal('x`;\u2028console.log("PWNED")//*/\n'),
      path.join(ROOT, 'benchmarks/tutorial/t.GOAL.md'),
      { runtimeImport: 'x' },
    )
    expect(compiled.error).toBeUndefined()
    expect(compiled.code).not.toMatch(/[\u2028\u2029]/)
    const outsideGoalLiteral = compiled.code.replace(/defineGoal\(\{[\s\S]*?\n\}\)/, '')
    expect(outsideGoalLiteral).not.toContain('PWNED')
  })
})

describe('harvesting files from the sandbox directory', () => {
  test('symlinks, links out of the directory and oversized files are refused', async () => {
    const root = path.join(dir, 'harvest')
    mkdirSync(path.join(root, 'sub'), { recursive: true })
    writeFileSync(path.join(dir, 'outside.txt'), 'secret')
    writeFileSync(path.join(root, 'ok.txt'), 'fine')
    symlinkSync(path.join(dir, 'outside.txt'), path.join(root, 'link.txt'))
    symlinkSync(path.join(root, 'ok.txt'), path.join(root, 'inner-link.txt'))
    symlinkSync(dir, path.join(root, 'dirlink'))
    expect((await harvest(root, 'ok.txt', 100)).toString()).toBe('fine')
    await expect(harvest(root, 'link.txt', 100)).rejects.toThrow(/outside the sandbox/)
    await expect(harvest(root, 'inner-link.txt', 100)).rejects.toThrow(/symbolic link/)
    await expect(harvest(root, 'dirlink/outside.txt', 100)).rejects.toThrow(/outside the sandbox/)
    await expect(harvest(root, 'ok.txt', 2)).rejects.toThrow(HarvestError)
    await expect(harvest(root, 'missing.txt', 100)).rejects.toThrow(/not produced/)
  })
})

describe('hostile notebooks: the harness keeps the truth', async () => {
  const { ok: isolated } = await bubblewrapAvailable()
  // CI installs bubblewrap: there these tests must run, never skip
  if (process.env.CI) test('bubblewrap is available in CI', () => expect(isolated).toBe(true))

  test.runIf(isolated)(
    'run as an unprivileged user with no capabilities: the venv cannot be remounted or written',
    async () => {
      const { report } = await run([
        'import os\nprint("uid", os.getuid())\nprint([l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1])',
        `import sys\ntry:\n    open(sys.prefix + "/pwned", "w")\n    print("WROTE")\nexcept OSError as e:\n    print("venv", type(e).__name__)`,
        `import subprocess\nr = subprocess.run(["mount", "-o", "remount,rw,bind", sys.prefix], capture_output=True)\nprint("remount", r.returncode)`,
      ])
      expect(report.status).toBe('ok')
      const out = printed(report.executedNotebook)
      expect(out).toContain('uid 65534')
      expect(out).toContain('0000000000000000')
      expect(out).toContain('venv OSError')
      expect(out).not.toContain('remount 0')
    },
  )

  test.runIf(isolated)('forged report files and a process racing to rewrite them change nothing', async () => {
    const forged = JSON.stringify({ status: 'ok', cells: [], firstError: null })
    const { report, trialDir } = await run([
      [
        'import os, sys, threading, time, json',
        // every place the notebook can write: its working dir, /tmp, the socket directory of the kernel
        'places = [os.getcwd(), "/tmp", os.path.dirname(sys.argv[sys.argv.index("-f") + 1])]',
        `names = ["report.json", "executed.ipynb", "execution.json", "progress.json", "trial.json"]`,
        'def race():',
        '    while True:',
        '        for p in places:',
        '            for n in names:',
        '                try:',
        `                    open(os.path.join(p, n), "w").write(${JSON.stringify(forged)})`,
        '                except OSError:',
        '                    pass',
        '        time.sleep(0.01)',
        'threading.Thread(target=race, daemon=True).start()',
        'pid = os.fork()',
        'if pid == 0:',
        '    race()',
        'time.sleep(0.5)',
      ].join('\n'),
      '1 / 0',
      'print("unreachable")',
    ])
    expect(report.status).toBe('cell_error')
    expect(report.firstError).toMatchObject({ cell: 1, ename: 'ZeroDivisionError' })
    const executed = readFileSync(path.join(trialDir, 'executed.ipynb'), 'utf8')
    expect(executed).toContain('ZeroDivisionError')
    expect(JSON.parse(readFileSync(path.join(trialDir, 'execution.json'), 'utf8')).status).toBe('cell_error')
  })

  test.runIf(isolated)(
    'the kernel cannot reach the runner: killing every process it sees is its own failure',
    async () => {
      const { report } = await run([
        'import os, signal\nprint("ppid", os.getppid())\nfor pid in [os.getppid(), 1]:\n    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError as e:\n        print("kill", pid, type(e).__name__)',
        'os.kill(-1, signal.SIGKILL)',
        'print("unreachable")',
      ])
      expect(['kernel_died', 'cell_error', 'ok']).toContain(report.status)
      expect(report.status).not.toMatch(/^harness|runner/)
      expect(report.cells[2]?.status).not.toBe('ok')
    },
  )

  test.runIf(isolated)('ptrace and other debugging calls are refused', async () => {
    const { report } = await run([
      'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nr = libc.ptrace(0, 0, None, None)\nprint("ptrace", r, os.strerror(ctypes.get_errno()))',
      'r = libc.process_vm_readv(os.getpid(), None, 0, None, 0, 0)\nprint("vm_readv", r, os.strerror(ctypes.get_errno()))',
    ])
    expect(report.status).toBe('ok')
    expect(report.limits).toMatchObject({ seccomp: 'filter' })
    const out = printed(report.executedNotebook)
    expect(out).toContain('ptrace -1 Operation not permitted')
    expect(out).toContain('vm_readv -1 Operation not permitted')
  })

  test('cell tags that change execution are the harness’s business: raises-exception is stripped and recorded', async () => {
    n += 1
    const file = path.join(dir, `tagged-${n}.ipynb`)
    const nb = JSON.parse(notebookJson(['1 / 0', 'print("after")'])) as { cells: { metadata: object }[] }
    nb.cells[0]!.metadata = { tags: ['raises-exception', 'skip-execution'], skilldelta_custom: 1 }
    writeFileSync(file, JSON.stringify(nb))
    const report = await executeNotebook({
      notebook: file,
      trialDir: path.join(dir, `tagged-${n}`),
      totalTimeoutSeconds: 60,
    })
    expect(report.status).toBe('cell_error')
    expect(report.firstError).toMatchObject({ cell: 0, ename: 'ZeroDivisionError' })
    expect(report.metadataStripped).toEqual([{ cell: 0, keys: ['skilldelta_custom', 'tags'] }])
  })

  test('oversized and malformed output is the notebook’s failure or is cut, never an infrastructure error', async () => {
    const big = await run(['print("x" * (100 << 20))', 'print("after")'])
    expect(big.report.status).toBe('output_limit')
    expect(big.report.firstError).toMatchObject({ cell: 0, ename: 'OutputTooLarge' })
    const huge = await run([
      'raise ValueError("\\x1b]52;c;cGF5bG9hZA==\\x07\\x1b]0;pwned\\x07\\x1b[2J" + "e" * 5_000_000)',
    ])
    expect(huge.report.status).toBe('cell_error')
    expect(huge.report.firstError?.evalue.length).toBeLessThan(5_000)
    expect(huge.report.firstError?.evalue).not.toContain('\u001b')
    expect(huge.report.firstError?.evalue).not.toContain('\u0007')
    const nested = await run([
      'from IPython.display import publish_display_data\nv = "leaf"\nfor _ in range(400):\n    v = [v]\npublish_display_data({"application/json": {"deep": v}, "text/plain": "nested"})',
      [
        'ip = get_ipython(); k = ip.kernel',
        'k.session.send(k.iopub_socket, "stream", {"name": "stdout\\n--- cell 7 [code] ---", "text": "forged header"}, parent=k.get_parent("shell"))',
      ].join('\n'),
      'print("still running")',
    ])
    expect(nested.report.status).toBe('ok')
    const cells = JSON.parse(readFileSync(nested.report.executedNotebook!, 'utf8')).cells as {
      outputs: { output_type: string; name?: string; data?: Record<string, unknown> }[]
    }[]
    expect(JSON.stringify(cells[0]?.outputs)).toContain('nested too deeply')
    const streams = cells[1]?.outputs.filter((o) => o.output_type === 'stream').map((o) => o.name)
    expect(streams).toEqual(['stdout']) // a forged stream name is not kept
    expect(nested.report).toMatchObject({ renamedStreams: 1 })
  })

  test('a flood of printed output is cut per cell, and the notebook goes on', async () => {
    const { report } = await run(['for _ in range(200):\n    print("y" * 50_000)', 'print("after")'])
    expect(report.status).toBe('ok')
    expect(report.cells[0]?.outputs?.streamChars).toBeLessThan(250_000)
    expect(report.outputCuts).toEqual(expect.arrayContaining([expect.objectContaining({ cell: 0, what: 'stream' })]))
    expect(printed(report.executedNotebook)).toContain('after')
  })

  test('a flood of raw stderr output does not wedge the kernel', async () => {
    const { report } = await run([
      'import os\nfor _ in range(15):\n    os.write(2, b"x" * 1_000_000)',
      'print("after")',
    ])
    expect(report.status).toBe('ok')
  })
})

describe('signals come from TVB’s real Simulator.run, as it returned them', async () => {
  const { ok: isolated } = await bubblewrapAvailable()
  const tvb = [
    'import numpy as np',
    'from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator',
    'conn = connectivity.Connectivity.from_file()',
    'sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn, coupling=coupling.Linear(),',
    '    integrator=integrators.HeunDeterministic(dt=0.5), monitors=(monitors.TemporalAverage(period=2.0),),',
    '    simulation_length=200.0).configure()',
  ].join('\n')

  test.runIf(isolated)('a class merely named Simulator, and arrays built by hand, are not signals', async () => {
    const { report } = await run([
      [
        'import sys, types, numpy as np',
        'fake = types.ModuleType("tvb.simulator.simulator")',
        'class Simulator:',
        '    monitors = ()',
        '    def run(self):',
        '        t = np.arange(0, 3000, 1.0)',
        '        return [(t, np.sin(2 * np.pi * 10 * t / 1000)[:, None, None, None] * np.ones((1, 1, 76, 1)))]',
        'fake.Simulator = Simulator',
        'sys.modules["tvb.simulator.simulator"] = fake',
        'result = Simulator().run()',
        '(time, data), = result',
      ].join('\n'),
    ])
    expect(report.status).toBe('ok')
    expect(report.probe).toMatchObject({ status: 'ok', signals: [], hooked: false })
  })

  test.runIf(isolated)(
    'patching numpy, or changing the output after run(), does not change what was recorded',
    async () => {
      const { report } = await run([
        tvb,
        [
          'import numpy',
          'numpy.savez = numpy.save = lambda *a, **k: None',
          '(time, data), = sim.run()',
          'print("recorded_std", float(data.std()))',
          'data[:] = np.sin(np.arange(data.size)).reshape(data.shape)  # rewrite the output in place',
          'forged = np.sin(np.arange(data.size)).reshape(data.shape)',
        ].join('\n'),
      ])
      // the array built by hand (forged) is no signal at all
      expect(report.status).toBe('ok')
      expect(report.probe.status).toBe('ok')
      if (report.probe.status !== 'ok') return
      expect(report.probe.hooked).toBe(true)
      expect(report.probe.signals).toHaveLength(1)
      const [signal] = report.probe.signals
      // the variable still names the series, but what the checks read is the copy taken when run() returned
      expect(signal).toMatchObject({ kind: 'sim.run', monitor: 'TemporalAverage', names: ['data'], source: 'data' })
      // the monitor's variables by name: checks select `variable: V` or `y1 - y2` with them
      expect(signal!.variables).toEqual(['V'])
      const std = await python(
        `import numpy as np\nd = np.load(${JSON.stringify(signal!.file)})["data"]\nprint(float(d.std()))`,
      )
      const recorded = Number(/recorded_std (\S+)/.exec(printed(report.executedNotebook))?.[1])
      expect(Number(std)).toBeCloseTo(recorded, 10)
      expect(report.probe.simulators['run 1']).toMatchObject({ model: 'Generic2dOscillator', dt: 0.5, regions: 76 })
    },
  )

  test.runIf(isolated)('named results the goal asks for travel over the kernel channel, validated', async () => {
    n += 1
    const file = path.join(dir, `results-${n}.ipynb`)
    writeFileSync(
      file,
      notebookJson([
        'import numpy as np\npeak_hz = 9.5\nsweep = np.array([1, 2, 3.5])\nlabel = "text"\nbad = float("nan")',
      ]),
    )
    const report = await executeNotebook({
      notebook: file,
      trialDir: path.join(dir, `results-${n}`),
      results: ['peak_hz', 'sweep', 'label', 'bad', 'absent'],
    })
    expect(report.probe).toMatchObject({
      status: 'ok',
      results: {
        peak_hz: { status: 'ok', value: 9.5 },
        sweep: { status: 'ok', value: [1, 2, 3.5] },
        label: { status: 'unusable' },
        bad: { status: 'ok', value: null },
        absent: { status: 'missing' },
      },
    })
  })
})

describe('the PSD analysis never crashes a matcher', () => {
  test.each([
    [
      'a 5 s sampling period',
      { time: 'np.arange(0, 200000, 5000.0)', data: 'rng.standard_normal((40, 3))' },
      /cannot resolve a spectrum/,
    ],
    [
      '3-D data with the state variable out of range',
      { time: 'np.arange(0, 4000, 1.0)', data: 'rng.standard_normal((4000, 1, 5))' },
      /out of range/,
    ],
  ])('%s is a reported problem', async (name, signal, pattern) => {
    const file = await writeSignal(path.join(dir, `${name.replace(/\W+/g, '-')}.npz`), signal)
    const response = await measurePsd({ signal: file, band: [8, 12], variableIndex: 2 })
    expect(response).toEqual({ ok: false, problem: expect.stringMatching(pattern) })
  })
})

describe('isolation is never silently off', () => {
  test('"auto" means bubblewrap, required; only an explicit "none" runs without it', () => {
    const sandbox = (mode: 'auto' | 'bwrap' | 'none', env: NodeJS.ProcessEnv = {}) =>
      resolveSettings({ execution: { sandbox: mode } }, ROOT, env).execution.sandbox
    expect(sandbox('auto')).toBe('bwrap')
    expect(sandbox('bwrap')).toBe('bwrap')
    expect(sandbox('none')).toBe('none')
    expect(sandbox('auto', { SKILLDELTA_SANDBOX: 'none' })).toBe('none')
  })

  test('without bubblewrap, a run stops with the fix instead of running unisolated', async () => {
    n += 1
    const file = path.join(dir, `nobwrap-${n}.ipynb`)
    writeFileSync(file, notebookJson(['print(1)']))
    // a PATH without bwrap: the CLI must refuse, not fall back
    const result = await execa(
      process.execPath,
      [path.join(ROOT, 'bin/skilldelta.mjs'), 'execute', file, '--dir', path.join(dir, `nobwrap-${n}`)],
      {
        env: { PATH: '/nonexistent' },
        extendEnv: false,
        reject: false,
      },
    )
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).toMatch(
      /the notebook sandbox is required but bubblewrap \(bwrap\) is not installed.*sandbox: "none"/s,
    )
  })

  test('with sandbox: none the kernel, its parent and its environment carry no secret, and every execution warns', async () => {
    process.env.OPENAI_API_KEY = 'sk-skilldelta-test-secret'
    const warnings: string[] = []
    try {
      n += 1
      const file = path.join(dir, `none-${n}.ipynb`)
      writeFileSync(
        file,
        notebookJson([
          'import os\nprint("env", os.environ.get("OPENAI_API_KEY"))\nprint("parent", "sk-skilldelta" in open(f"/proc/{os.getppid()}/environ").read())',
        ]),
      )
      const report = await executeNotebook({
        notebook: file,
        trialDir: path.join(dir, `none-${n}`),
        settings: ExecutionSettingsSchema.parse({ sandbox: 'none' }),
        onWarning: (w) => warnings.push(w),
      })
      expect(report).toMatchObject({
        status: 'ok',
        isolated: false,
        sandboxWarning: expect.stringContaining('ISOLATION IS OFF'),
      })
      expect(warnings).toEqual([expect.stringContaining('ISOLATION IS OFF')])
      const out = printed(report.executedNotebook)
      expect(out).toContain('env None')
      expect(out).toContain('parent False')
    } finally {
      delete process.env.OPENAI_API_KEY
    }
  })
})

describe('terminal-safe output', () => {
  const hostile =
    'red \u001b[31mX\u001b[0m title\u001b]0;pwned\u0007 clip\u001b]52;c;cGF5\u001b\\ clear\u001b[2J\u001b[H alt\u001b[?1049h c1\u009b31m bell\u0007 cr\rover'

  test('only plain colour survives for a terminal; nothing survives in plain text', () => {
    expect(terminalSafe(hostile)).toBe('red \u001b[31mX\u001b[0m title clip clear alt c131m bell crover')
    expect(plainText(hostile)).toBe('red X title clip clear alt c131m bell crover')
  })

  test('skilldelta execute prints a hostile exception without its control sequences', async () => {
    n += 1
    const file = path.join(dir, `escapes-${n}.ipynb`)
    writeFileSync(file, notebookJson([`raise ValueError(${JSON.stringify(hostile)})`]))
    const result = await execa(
      process.execPath,
      [path.join(ROOT, 'bin/skilldelta.mjs'), 'execute', file, '--dir', path.join(dir, `escapes-${n}`)],
      { reject: false },
    )
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('ValueError')
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(result.stdout.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
  })
})

describe('no silent loss', () => {
  test('a FIFO planted in place of a result does not hang the harness’s reads', async () => {
    const root = path.join(dir, 'fifo')
    mkdirSync(root, { recursive: true })
    await execa('mkfifo', [path.join(root, 'executed.ipynb')])
    await expect(harvest(root, 'executed.ipynb', 1000)).rejects.toThrow(/not a regular file/)
  })

  test('a runner that dies after the kernel started is the notebook’s failure, not an infrastructure error', async () => {
    n += 1
    const file = path.join(dir, `dying-${n}.ipynb`)
    const trialDir = path.join(dir, `dying-${n}`)
    writeFileSync(file, notebookJson(['import time\ntime.sleep(30)']))
    const pending = executeNotebook({ notebook: file, trialDir })
    // once the kernel is up, kill the runner (as a notebook that broke its runner would leave things):
    // the runner is the kernel's ancestor running skilldelta_py.runner_service
    for (let i = 0; i < 600 && !existsSync(path.join(trialDir, '.run', 'progress.json')); i++) await sleep(100)
    const request = JSON.parse(readFileSync(path.join(trialDir, '.run', 'request.json'), 'utf8')) as {
      kernel: { marker: string }
    }
    const read = (pid: string, file: string) => {
      try {
        return readFileSync(`/proc/${pid}/${file}`, 'utf8')
      } catch {
        return ''
      }
    }
    let runner = readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .find((pid) => read(pid, 'environ').includes(`SKILLDELTA_SANDBOX_MARKER=${request.kernel.marker}`))
    while (runner && !read(runner, 'cmdline').includes('skilldelta_py.runner_service'))
      runner = /^PPid:\s*(\d+)$/m.exec(read(runner, 'status'))?.[1]
    expect(runner).toBeDefined()
    process.kill(Number(runner), 'SIGKILL')
    const report = await pending
    expect(report.status).toBe('runner_error')
    expect(report.firstError).toMatchObject({ ename: 'RunnerLost' })
  })
})

describe('rendered notebooks are inert in the browser that shows them', () => {
  test('scripts, event handlers and frames from markdown and outputs do not survive; a CSP forbids the rest', async () => {
    const dir = tempDir('sd-render-')
    const notebook = path.join(dir, 'hostile.ipynb')
    writeFileSync(
      notebook,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          {
            id: 'a',
            cell_type: 'markdown',
            metadata: {},
            source: '# Hi <img src=x onerror="alert(1)"> <script>alert(2)</script>',
          },
          {
            id: 'b',
            cell_type: 'code',
            metadata: {},
            execution_count: 1,
            source: 'x',
            outputs: [
              {
                output_type: 'display_data',
                metadata: {},
                data: {
                  'text/html':
                    '<script>alert(3)</script><b onclick="alert(4)">bold</b><iframe src="https://evil.example"></iframe>',
                  'text/plain': 'x',
                },
              },
              {
                output_type: 'display_data',
                metadata: {},
                data: { 'application/javascript': 'alert(5)', 'text/plain': 'js' },
              },
              // passes nbconvert's own sanitiser: an unescaped output type, and an unquoted image attribute
              {
                output_type: 'display_data',
                metadata: {},
                data: {
                  'text/vnd.mermaid':
                    '</pre><script>alert(6)</script><meta http-equiv="refresh" content="0;url=https://evil.example"><form action="https://evil.example"><input></form>',
                },
              },
              {
                output_type: 'display_data',
                metadata: { 'image/png': { width: '1 onerror=alert(7)' } },
                data: { 'image/png': 'iVBORw0KGgo=', 'text/plain': 'img' },
              },
            ],
          },
        ],
      }),
    )
    const html = readFileSync(await renderNotebookHtml(notebook, path.join(dir, 'out.html'), 'auto'), 'utf8')
    expect(html).toMatch(
      /^[\s\S]{0,400}<head><meta content="default-src 'none'; [^"]*base-uri 'none'; form-action 'none'" http-equiv="Content-Security-Policy"\/>/,
    )
    expect(html).toContain('<b>bold</b>') // harmless markup stays
    // (escaped text such as &lt;img onerror=…&gt; is harmless and may stay; live tags may not)
    expect(html).not.toMatch(/<script|<img[^>]*\son\w+=|<[a-z][^>]*\sonclick=|<iframe|<form|http-equiv="refresh"/i)
    for (const payload of ['alert(5)', 'alert(6)', 'alert(7)']) expect(html).not.toContain(payload) // live code, not escaped text
    expect(html.match(/<meta/g)).toHaveLength(2) // the policy and the charset, nothing else
  })
})
