// Resource floods from hostile notebooks: slow, so they run in `npm run test:security` (CI runs it too),
// not in `npm test`. Each asserts the host stays within the limits and the verdict is the notebook's.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { ExecutionSettingsSchema } from '../src/harness/config/settings.ts'
import { executeNotebook } from '../src/harness/notebook/execute.ts'
import { bubblewrapAvailable } from '../src/harness/notebook/sandbox.ts'
import { notebookJson, printed, tempDir } from './helpers.ts'

const dir = tempDir('sd-floods-')
let n = 0
async function run(cells: string[], execution: Record<string, unknown> = {}) {
  n += 1
  const file = path.join(dir, `nb-${n}.ipynb`)
  writeFileSync(file, notebookJson(cells))
  return executeNotebook({
    notebook: file,
    trialDir: path.join(dir, `trial-${n}`),
    totalTimeoutSeconds: 120,
    settings: ExecutionSettingsSchema.parse(execution),
  })
}

/** Processes on the host that carry this execution's marker (none may outlive it). */
function leftovers(marker: string): number {
  let count = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker)) count += 1
    } catch {
      // gone, or not ours to read
    }
  }
  return count
}

const { ok: isolated } = await bubblewrapAvailable()
const NOT_INFRA = /^(ok|cell_error|kernel_died|cell_timeout|total_timeout|output_limit|runner_error)$/

describe.runIf(isolated)('resource floods stay inside the notebook’s limits', () => {
  test('a fork bomb meets the process cap; nothing survives the execution', async () => {
    const report = await run(
      [
        'import os, time\nchildren = 0\ntry:\n    for _ in range(10_000):\n        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n        children += 1\nexcept OSError as e:\n    print("capped after", children, type(e).__name__)',
      ],
      { maxProcesses: 64 },
    )
    expect(report.status).toMatch(NOT_INFRA)
    if (report.limits?.processes !== 'none')
      expect(printed(report.executedNotebook)).toMatch(/capped after \d+ BlockingIOError/)
    expect(leftovers(report.marker)).toBe(0)
  })

  test('forked children share one memory budget (tmpfs pages included)', async () => {
    const report = await run(
      [
        [
          'import os, time, numpy as np',
          'pids = []',
          'for _ in range(4):',
          '    pid = os.fork()',
          '    if pid == 0:',
          '        block = np.ones(400 * 1024 * 1024 // 8)  # 400 MB each',
          '        time.sleep(5)',
          '        os._exit(0)',
          '    pids.append(pid)',
          'codes = [os.waitpid(p, 0)[1] for p in pids]',
          'print("children", codes)',
        ].join('\n'),
        'open("/dev/shm/fill", "wb").write(b"x" * (700 << 20))',
      ],
      { memoryMb: 1024 },
    )
    expect(report.status).toMatch(NOT_INFRA)
    if (report.limits?.memory.startsWith('cgroup')) {
      expect(report.limits.peakMemoryMb ?? 0).toBeLessThanOrEqual(1024 + 8)
      expect(report.status).not.toBe('ok') // something had to give: the children or the tmpfs write
    }
  })

  test('the working directory is a capped disk: writing 5 GB stops at diskMb', async () => {
    const report = await run(
      [
        'written = 0\ntry:\n    with open("big.bin", "wb") as f:\n        for _ in range(5 * 1024):\n            f.write(b"\\0" * (1 << 20))\n            written += 1\nexcept OSError as e:\n    print("stopped at", written, "MB", type(e).__name__)',
      ],
      { diskMb: 256, memoryMb: 2048 },
    )
    expect(report.status).toMatch(NOT_INFRA)
    const out = printed(report.executedNotebook)
    const mb = Number(/stopped at (\d+) MB/.exec(out)?.[1])
    expect(mb).toBeLessThanOrEqual(256)
    expect(os.freemem()).toBeGreaterThan(256 * 1024 * 1024)
  })

  test('1.5 GB of printed output never reaches the runner; the executed notebook stays small', async () => {
    const report = await run(['for _ in range(150):\n    print("z" * 10_000_000)', 'print("after")'], {
      memoryMb: 2048,
    })
    expect(report.status).toMatch(NOT_INFRA)
    expect(report.executedNotebook && existsSync(report.executedNotebook)).toBe(true)
    expect(readFileSync(report.executedNotebook!, 'utf8').length).toBeLessThan(25_000_000)
  })

  test('a simulation larger than the probe budget is reported, not copied', async () => {
    const report = await run(
      [
        'from tvb.simulator.lab import *\nsim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=connectivity.Connectivity.from_file(), coupling=coupling.Linear(), integrator=integrators.HeunDeterministic(dt=0.5), monitors=(monitors.Raw(),), simulation_length=2000.0).configure()\n(t, d), = sim.run()',
      ],
      { probeMaxValues: 100_000 },
    )
    expect(report.status).toBe('ok')
    expect(report.probe).toMatchObject({
      status: 'ok',
      signals: [expect.objectContaining({ skipped: expect.stringContaining('budget') })],
    })
  })
})
