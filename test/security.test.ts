// Regression tests for the sandbox/harness review: each test reproduces an attack or failure that
// once worked, and asserts it no longer does.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { measurePsd } from '../src/harness/analysis/psd.ts'
import { ExecutionSettingsSchema } from '../src/harness/config/settings.ts'
import { compileGoal } from '../src/harness/goal/compile.ts'
import { executeNotebook } from '../src/harness/notebook/execute.ts'
import { harvest, HarvestError } from '../src/harness/notebook/harvest.ts'
import { renderNotebookHtml } from '../src/harness/notebook/render.ts'
import { resolveSettings } from '../src/harness/config/settings.ts'
import { bubblewrapAvailable } from '../src/harness/notebook/sandbox.ts'
import { notebookJson, printed, ROOT, tempDir, writeSignal } from './helpers.ts'

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

describe('hostile notebooks', async () => {
  const { ok: isolated } = await bubblewrapAvailable()

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

  test('symlinks planted in the working directory cannot redirect the harness’s writes', async () => {
    const victim = path.join(dir, 'victim.txt')
    writeFileSync(victim, 'untouched')
    const names = ['execution.json', 'executed.ipynb', 'trial.json', 'psd-signal-0-8-12Hz.png', 'report.json']
    const { report, trialDir } = await run([
      `import os\nfor name in ${JSON.stringify(names)}:\n    os.symlink(${JSON.stringify(victim)}, name)`,
    ])
    expect(report.status).toBe('ok')
    expect(readFileSync(victim, 'utf8')).toBe('untouched')
    expect(JSON.parse(readFileSync(path.join(trialDir, 'execution.json'), 'utf8')).status).toBe('ok')
  })

  test('a notebook that forges the probe’s output cannot choose file paths', async () => {
    const { report } = await run([
      'import numpy as np\nt = np.arange(0, 1000, 1.0)\nd = np.sin(t)[:, None]',
      [
        'import json',
        '_real = json.dump',
        'def forged(obj, fh, *a, **k):',
        '    if isinstance(obj, dict) and "signals" in obj:',
        '        for s in obj["signals"]:',
        `            s["id"] = "../../../../${path.basename(dir)}/escaped"`,
        '            s["file"] = "/etc/passwd"',
        '    return _real(obj, fh, *a, **k)',
        'json.dump = forged',
      ].join('\n'),
    ])
    expect(report.status).toBe('ok')
    expect(report.probe.status).toBe('ok')
    if (report.probe.status !== 'ok') return
    expect(report.probe.signals).toEqual([
      expect.objectContaining({ id: 'signal-invalid', skipped: expect.any(String) }),
    ])
    expect(report.probe.signals[0]?.file).toBeUndefined()
    expect(existsSync(path.join(dir, 'escaped.npz'))).toBe(false)
  })

  test('NaN in a fake Simulator does not break the report', async () => {
    const { report } = await run(['class Simulator:\n    monitors = ()\n\nsim = Simulator()'])
    expect(report.status).toBe('ok')
    expect(report.probe).toMatchObject({ status: 'ok', simulators: { sim: { dt: null } } })
  })

  test('a flood of raw stderr output does not wedge the kernel', async () => {
    const { report } = await run([
      'import os\nfor _ in range(15):\n    os.write(2, b"x" * 1_000_000)',
      'print("after")',
    ])
    expect(report.status).toBe('ok')
    expect(report.wallMs).toBeLessThan(45_000)
  })

  test('an already-cancelled execution does not start', async () => {
    const controller = new AbortController()
    controller.abort()
    const started = Date.now()
    const { report } = await run(['import time\ntime.sleep(30)'], { signal: controller.signal })
    expect(report.status).toBe('harness_error')
    expect(Date.now() - started).toBeLessThan(5_000)
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

describe('sandbox policy', () => {
  test('in CI, "auto" means isolation is required', () => {
    const sandbox = (mode: 'auto' | 'none', env: NodeJS.ProcessEnv) =>
      resolveSettings({ execution: { sandbox: mode } }, ROOT, env).execution.sandbox
    expect(sandbox('auto', { CI: 'true' })).toBe('bwrap')
    expect(sandbox('auto', {})).toBe('auto')
    expect(sandbox('auto', { CI: 'false' })).toBe('auto')
    expect(sandbox('none', { CI: 'true' })).toBe('none')
  })

  test('without isolation outside CI, execution still runs and says so', async () => {
    n += 1
    const file = path.join(dir, `plain-${n}.ipynb`)
    writeFileSync(file, notebookJson(['x = 1']))
    const report = await executeNotebook({
      notebook: file,
      trialDir: path.join(dir, `plain-${n}`),
      settings: ExecutionSettingsSchema.parse({ sandbox: 'none' }),
    })
    expect(report).toMatchObject({
      status: 'ok',
      isolated: false,
      sandboxWarning: expect.stringContaining('sandbox disabled'),
    })
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
