// Kernels started ahead of their notebooks (TVB already imported) must be indistinguishable from kernels
// started on demand, and a kernel serves one notebook: nothing of one notebook reaches the next.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { runAnalysis } from '../src/harness/analysis/python.ts'
import { ExecutionSettingsSchema } from '../src/harness/config/settings.ts'
import { notebookFromScript } from '../src/harness/notebook/convert.ts'
import { executeNotebook } from '../src/harness/notebook/execute.ts'
import { startKernelAhead } from '../src/harness/notebook/kernels.ts'
import type { ExecutionReport } from '../src/harness/notebook/report.ts'
import { bubblewrapAvailable } from '../src/harness/notebook/sandbox.ts'
import { notebookJson, printed, processesWithMarker, python, ROOT, tempDir } from './helpers.ts'
import { z } from 'zod'

const dir = tempDir('sd-kernels-')
const { ok: isolated } = await bubblewrapAvailable()
const settings = ExecutionSettingsSchema.parse({ sandbox: isolated ? 'bwrap' : 'none' })
let n = 0

async function execute(notebook: string, ahead: boolean, results: string[] = []): Promise<ExecutionReport> {
  n += 1
  const kernel = ahead ? startKernelAhead(settings) : undefined
  try {
    if (kernel) expect(await kernel.ready()).toBe(true)
    const trialDir = path.join(dir, `trial-${n}`)
    return await executeNotebook({ notebook, trialDir, settings, results, ...(kernel ? { kernel } : {}) })
  } finally {
    kernel?.release()
  }
}

/** Every output of every cell, with the one thing that legitimately differs between runs (log times) masked. */
function outputs(report: ExecutionReport): unknown {
  const nb = JSON.parse(readFileSync(report.executedNotebook!, 'utf8')) as { cells: { outputs?: unknown[] }[] }
  const masked = JSON.stringify(nb.cells.map((cell) => cell.outputs ?? []))
  return JSON.parse(masked.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}/g, '<time>'))
}

/** The probed series, as the checks would read them: bitwise, with their headers. */
async function signals(report: ExecutionReport): Promise<unknown> {
  if (report.probe.status !== 'ok') return report.probe
  const files = report.probe.signals.map((s) => s.file ?? '')
  const digests = await python(
    [
      'import hashlib, json, numpy as np',
      `files = ${JSON.stringify(files)}`,
      'out = []',
      'for f in files:',
      '    if not f:',
      '        out.append(None); continue',
      '    z = np.load(f)',
      '    out.append([hashlib.sha256(z["time"].tobytes()).hexdigest(), hashlib.sha256(z["data"].tobytes()).hexdigest()])',
      'print(json.dumps(out))',
    ].join('\n'),
  )
  const headers = report.probe.signals.map(({ file: _file, id: _id, ...rest }) => rest)
  return { headers, digests: JSON.parse(digests), results: report.probe.results, simulators: report.probe.simulators }
}

describe('a kernel started ahead, with TVB imported, is indistinguishable from one started on demand', () => {
  test.each(['connectome_summary', 'analyze_power_spectra'])(
    'the %s oracle: same outputs, same probe values',
    async (oracle) => {
      const notebook = path.join(dir, `${oracle}.ipynb`)
      await notebookFromScript(path.join(ROOT, 'benchmarks/oracles', `${oracle}.py`), notebook, settings.sandbox)
      const results = oracle === 'analyze_power_spectra' ? ['peak_hz', 'fs'] : ['n_regions', 'max_weight']
      const cold = await execute(notebook, false, results)
      const warm = await execute(notebook, true, results)
      expect(cold.status).toBe('ok')
      expect(warm.status).toBe('ok')
      expect(cold.kernel).toMatchObject({ startedAhead: false, preloaded: [] })
      expect(warm.kernel).toMatchObject({ startedAhead: true, preloaded: settings.preload })
      expect(outputs(warm)).toEqual(outputs(cold))
      expect(await signals(warm)).toEqual(await signals(cold))
      if (oracle === 'analyze_power_spectra') {
        expect(warm.probe).toMatchObject({
          status: 'ok',
          hooked: true,
          signals: [expect.objectContaining({ source: 'data' })],
        })
      }
      if (warm.probe.status === 'ok')
        expect(Object.values(warm.probe.results).every((r) => r.status === 'ok')).toBe(true)
      // the notebook's own imports found TVB loaded: its first cell costs a fraction of the cold one's
      expect(warm.cells[1]!.durationMs!).toBeLessThan(cold.cells[1]!.durationMs!)
    },
  )
})

describe('a kernel serves one notebook', () => {
  const first = [
    [
      'import os, random, subprocess, sys, numpy as np',
      'LEAK = 42',
      'np.mean = lambda *a, **k: "patched"',
      'import tvb.simulator.simulator as s',
      's.Simulator.run = lambda self, *a, **k: "patched"',
      'os.environ["LEAK"] = "1"',
      'open("/tmp/leak.txt", "w").write("x")',
      'open("leak-in-work.txt", "w").write("x")',
      'sleeper = subprocess.Popen(["sleep", "300"])',
      'print("random", np.random.random(), random.random())',
    ].join('\n'),
  ]
  const second = [
    [
      'import os, random, numpy as np',
      'import tvb.simulator.simulator as s',
      'print("globals", "LEAK" in globals())',
      'print("numpy", np.mean([1.0, 3.0]))',
      'print("tvb", s.Simulator.run.__name__)',
      'print("env", os.environ.get("LEAK"))',
      'print("files", os.path.exists("/tmp/leak.txt"), os.path.exists("leak-in-work.txt"))',
      'print("sleepers", sum(1 for p in os.listdir("/proc") if p.isdigit() and "sleep" in open(f"/proc/{p}/cmdline").read()))',
      'print("random", np.random.random(), random.random())',
    ].join('\n'),
  ]

  test.runIf(isolated)(
    'a variable, a patched module, a file in /tmp, a process and the random state do not reach the next notebook',
    async () => {
      const a = path.join(dir, 'first.ipynb')
      const b = path.join(dir, 'second.ipynb')
      writeFileSync(a, notebookJson(first))
      writeFileSync(b, notebookJson(second))
      const one = await execute(a, true)
      const two = await execute(b, true)
      expect(one.status).toBe('ok')
      expect(two.status).toBe('ok')
      expect(two.kernel?.startedAhead).toBe(true)
      const out = printed(two.executedNotebook)
      expect(out).toContain('globals False')
      expect(out).toContain('numpy 2.0')
      expect(out).toContain('tvb run') // TVB's own Simulator.run (the probe's hook keeps its name)
      expect(out).toContain('env None')
      expect(out).toContain('files False False')
      expect(out).toContain('sleepers 0')
      // each kernel is a process of its own: its own random seeds, not a copy of a sibling's
      const draws = (report: ExecutionReport) => /random (\S+) (\S+)/.exec(printed(report.executedNotebook))?.slice(1)
      expect(draws(one)).toHaveLength(2)
      expect(draws(two)![0]).not.toBe(draws(one)![0])
      expect(draws(two)![1]).not.toBe(draws(one)![1])
      expect(processesWithMarker(one.marker)).toEqual([])
    },
  )

  test('an announcement for several notebooks starts the next kernel after each one', async () => {
    const notebook = path.join(dir, 'again.ipynb')
    writeFileSync(notebook, notebookJson(['print(1)']))
    const kernel = startKernelAhead(settings, { again: true })
    try {
      const reports: ExecutionReport[] = []
      for (let round = 0; round < 2; round++) {
        expect(await kernel.ready()).toBe(true)
        n += 1
        reports.push(await executeNotebook({ notebook, trialDir: path.join(dir, `again-${n}`), settings, kernel }))
      }
      expect(reports.map((r) => [r.status, r.kernel?.startedAhead])).toEqual([
        ['ok', true],
        ['ok', true],
      ])
      expect(reports[0]!.marker).not.toBe(reports[1]!.marker) // a new kernel each time
      expect(await kernel.ready()).toBe(true) // the third is already up
    } finally {
      kernel.release()
    }
  })

  test('with warmKernels 0 nothing starts ahead', async () => {
    const notebook = path.join(dir, 'none-ahead.ipynb')
    writeFileSync(notebook, notebookJson(['print(1)']))
    // other limits than the kernels left over by the tests above, which any notebook could take
    const off = ExecutionSettingsSchema.parse({ ...settings, warmKernels: 0, memoryMb: 3000 })
    const kernel = startKernelAhead(off)
    expect(await kernel.ready()).toBe(false)
    const report = await executeNotebook({ notebook, trialDir: path.join(dir, 'none-ahead'), settings: off, kernel })
    kernel.release()
    expect(report).toMatchObject({ status: 'ok', kernel: { startedAhead: false } })
  })
})

describe('one long-lived analysis process', () => {
  test('answers request after request; an unknown analysis is a problem, and the next request is answered', async () => {
    const schema = z.unknown()
    expect(await runAnalysis('nonexistent', {}, schema)).toEqual({
      ok: false,
      problem: expect.stringContaining("unknown analysis 'nonexistent'"),
    })
    const lint = await runAnalysis('tvb_lint', { items: [] }, z.object({ checked: z.number() }).passthrough())
    expect(lint).toMatchObject({ ok: true, result: { checked: 0 } })
  })
})
