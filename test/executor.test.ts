import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { ExecutionSettingsSchema } from '../src/harness/config/settings.ts'
import { executeNotebook, type ExecuteOptions } from '../src/harness/notebook/execute.ts'
import type { ExecutionReport } from '../src/harness/notebook/report.ts'
import { bubblewrapAvailable } from '../src/harness/notebook/sandbox.ts'
import { assessExecution } from '../src/harness/checks/executes.ts'
import { notebookJson, printed, processesWithMarker, ROOT, tempDir } from './helpers.ts'

const dir = tempDir('sd-exec-')
let counter = 0

async function run(
  cells: string[],
  options: Partial<ExecuteOptions> & { cellTimeoutSeconds?: number; memoryMb?: number } = {},
): Promise<ExecutionReport> {
  counter += 1
  const file = path.join(dir, `nb-${counter}.ipynb`)
  writeFileSync(file, notebookJson(cells))
  const { cellTimeoutSeconds, memoryMb, ...rest } = options
  return executeNotebook({
    notebook: file,
    trialDir: path.join(dir, `trial-${counter}`),
    totalTimeoutSeconds: 60,
    settings: ExecutionSettingsSchema.parse({
      cellTimeoutSeconds: cellTimeoutSeconds ?? 60,
      memoryMb: memoryMb ?? 2048,
    }),
    ...rest,
  })
}

describe('executing notebooks: what the kernel reports', () => {
  test('a clean notebook records every cell, its timing and outputs, and saves the executed notebook', async () => {
    const report = await run(['import numpy as np\nx = np.arange(5)', 'print(x.sum())', 'x.mean()'])
    expect(report.status).toBe('ok')
    expect(report.cells.map((c) => c.status)).toEqual(['ok', 'ok', 'ok'])
    expect(report.cells.every((c) => typeof c.durationMs === 'number')).toBe(true)
    expect(report.cells[1]?.outputs).toMatchObject({ streamChars: 3 })
    expect(printed(report.executedNotebook)).toBe('10\n')
    expect(report.timings.kernelStartMs).toBeGreaterThan(0)
  })

  test('an exception stops the run at the failing cell with ename, evalue, ANSI-free traceback and source', async () => {
    const report = await run(['a = 1', 'b = 2\nraise ValueError("bad parameter")', 'c = 3'])
    expect(report.status).toBe('cell_error')
    expect(report.cells.map((c) => c.status)).toEqual(['ok', 'error', 'not_run'])
    expect(report.firstError).toMatchObject({
      cell: 1,
      ename: 'ValueError',
      evalue: 'bad parameter',
      sourceExcerpt: 'b = 2\nraise ValueError("bad parameter")',
    })
    expect(report.firstError?.traceback.join('\n')).not.toContain('\u001b[')
    expect(report.cells[1]?.errorLine).toBe(2)
    const { message } = assessExecution(report)
    expect(message).toContain('cell 1 failed')
    expect(message).toContain('> raise ValueError("bad parameter")')
    expect(message).toContain('ValueError: bad parameter')
  })

  test('a syntax error is a cell error', async () => {
    const report = await run(['x = 1', 'def broken(:\n    pass'])
    expect(report.status).toBe('cell_error')
    expect(report.firstError).toMatchObject({ cell: 1, ename: 'SyntaxError' })
  })

  test('an infinite loop hits the per-cell timeout and leaves no process behind', async () => {
    const report = await run(
      ['import subprocess\nchild = subprocess.Popen(["sleep", "300"])', 'while True:\n    pass', 'print("never")'],
      { cellTimeoutSeconds: 3 },
    )
    expect(report.status).toBe('cell_timeout')
    expect(report.cells.map((c) => c.status)).toEqual(['ok', 'timeout', 'not_run'])
    expect(report.firstError?.evalue).toContain('per-cell time limit')
    expect(processesWithMarker(report.marker)).toEqual([])
  })

  test('the total time limit bounds the whole notebook', async () => {
    const report = await run(['import time\ntime.sleep(2)', 'time.sleep(2)', 'time.sleep(2)'], {
      totalTimeoutSeconds: 3,
    })
    expect(report.status).toBe('total_timeout')
    expect(report.firstError?.evalue).toContain("notebook's total time limit")
    expect(processesWithMarker(report.marker)).toEqual([])
  })

  test('a memory bomb fails cleanly under the memory limit', async () => {
    const report = await run(
      ['import numpy as np', 'bomb = np.ones((40_000, 40_000))  # 12.8 GB', 'print("unreachable")'],
      { memoryMb: 1024 },
    )
    expect(['cell_error', 'kernel_died']).toContain(report.status)
    expect(report.firstError?.ename).toMatch(/MemoryError|DeadKernelError/)
    expect(report.cells[2]?.status).toBe('not_run')
  })

  test('a harness-level cancel kills the whole tree', async () => {
    const controller = new AbortController()
    const pending = run(['import time\ntime.sleep(60)'], { signal: controller.signal })
    setTimeout(() => controller.abort(), 2500)
    const report = await pending
    expect(report.status).toBe('harness_error')
    expect(processesWithMarker(report.marker)).toEqual([])
  })
})

describe('the sandbox', async () => {
  const bwrap = await bubblewrapAvailable()
  // CI installs bubblewrap (scripts/setup.mjs): there the isolation tests must run, never skip.
  if (process.env.CI) beforeAll(() => expect(bwrap).toEqual({ ok: true, reason: 'bubblewrap works' }))

  test.runIf(bwrap.ok)('has no network: only loopback exists and the host is unreachable', async () => {
    const server = createServer((socket) => socket.end('hello')).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const port = (server.address() as { port: number }).port
    try {
      const report = await run([
        'import socket\nprint(sorted(name for _, name in socket.if_nameindex()))',
        `s = socket.socket()\ns.settimeout(3)\ntry:\n    s.connect(("127.0.0.1", ${port}))\n    print("CONNECTED")\nexcept OSError as e:\n    print("refused", type(e).__name__)`,
      ])
      expect(report.status).toBe('ok')
      expect(report.isolated).toBe(true)
      const out = printed(report.executedNotebook)
      expect(out).toContain("['lo']")
      expect(out).toContain('refused')
      expect(out).not.toContain('CONNECTED')
    } finally {
      server.close()
    }
  })

  test.runIf(bwrap.ok)(
    'hides secrets, the home directory and the project; nothing outside the trial dir changes on the host',
    async () => {
      process.env.OPENAI_API_KEY = 'sk-skilldelta-test-secret'
      const escape = path.join(ROOT, `escaped-${Date.now()}.txt`)
      try {
        const report = await run([
          'import os, json\nprint(json.dumps(dict(os.environ)))',
          `print("home:", os.path.exists(${JSON.stringify(process.env.HOME ?? '/root')} + "/.npmrc"), "project:", os.path.exists(${JSON.stringify(path.join(ROOT, 'package.json'))}))`,
          `try:\n    open("/usr/escaped.txt", "w").write("x")\n    print("WROTE")\nexcept OSError as e:\n    print("blocked", type(e).__name__)`,
          // the project path may sit under /tmp, which is private scratch in the sandbox:
          // either way the host file must not appear
          `try:\n    open(${JSON.stringify(escape)}, "w").write("x")\nexcept OSError:\n    pass`,
          'open("inside.txt", "w").write("ok")\nprint("workspace", open("inside.txt").read())',
        ])
        expect(report.status).toBe('ok')
        const out = printed(report.executedNotebook)
        expect(out).not.toContain('sk-skilldelta-test-secret')
        expect(out).toContain('OMP_NUM_THREADS')
        expect(out).toContain('home: False project: False')
        expect(out).toContain('blocked OSError')
        expect(existsSync(escape)).toBe(false)
        // the notebook's working directory is a private, size-capped tmpfs: writable, and gone afterwards
        expect(out).toContain('workspace ok')
        expect(readdirSync(path.dirname(report.executedNotebook!))).not.toContain('inside.txt')
      } finally {
        delete process.env.OPENAI_API_KEY
      }
    },
  )

  test('without isolation the secret is still not passed on, and the report says isolation was off', async () => {
    process.env.OPENAI_API_KEY = 'sk-skilldelta-test-secret'
    const warnings: string[] = []
    try {
      const report = await run(
        ['import os\nprint(os.environ.get("OPENAI_API_KEY"), os.environ["OPENBLAS_NUM_THREADS"])'],
        {
          settings: ExecutionSettingsSchema.parse({ sandbox: 'none' }),
          onWarning: (w) => warnings.push(w),
        },
      )
      expect(report.isolated).toBe(false)
      expect(report.sandboxWarning).toContain('ISOLATION IS OFF')
      expect(warnings).toHaveLength(1)
      expect(printed(report.executedNotebook)).toBe('None 1\n')
    } finally {
      delete process.env.OPENAI_API_KEY
    }
  })
})
