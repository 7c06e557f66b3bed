import { z } from 'zod'
import { harnessPython, PYTHON_PACKAGE_DIR } from '../config/paths.ts'
import { LineProcess } from '../util/line-process.ts'

/** What an analysis module prints: its measurement, or the problem that prevents one. */
export type AnalysisResponse<T> = { ok: true; result: T } | { ok: false; problem: string }

/** One analysis may take this long; then its process is killed and the analysis is a problem. */
const ANALYSIS_TIMEOUT_MS = 120_000
/** Idle analysis processes kept per harness process. */
const IDLE_PROCESSES = 2

/**
 * Long-lived analysis processes (python/skilldelta_py/analysis_server.py), clean: they never see a
 * notebook's kernel, only files the harness collected. One answers one request at a time; concurrent
 * analyses get one each. Starting Python with numpy, scipy and matplotlib costs ≈ 2 s: paid once
 * per process, not once per check.
 */
class AnalysisPool {
  private readonly idle = new Map<string, LineProcess[]>()

  /** Start an analysis process now (before the checks need it). */
  warm(python: string): void {
    const idle = this.idle.get(python) ?? []
    if (!idle.some((p) => p.alive)) this.put(python, this.spawn(python))
  }

  async run(python: string, module: string, request: unknown): Promise<{ line?: string; why?: string }> {
    const process = this.take(python)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      process.kill()
    }, ANALYSIS_TIMEOUT_MS)
    try {
      const line = await process.request({ module, request })
      if (line !== undefined) return { line }
      await process.exited
      const last = process.stderr.trim().split('\n').at(-1) ?? ''
      return { why: timedOut ? 'timed out' : `${process.exit ?? 'stopped'}: ${last}` }
    } finally {
      clearTimeout(timer)
      if (process.alive) this.put(python, process)
    }
  }

  close(): void {
    for (const processes of this.idle.values()) for (const p of processes.splice(0)) p.close()
  }

  private take(python: string): LineProcess {
    const idle = this.idle.get(python) ?? []
    let process: LineProcess | undefined
    while ((process = idle.shift())) if (process.alive) return process
    return this.spawn(python)
  }

  private put(python: string, process: LineProcess): void {
    const idle = this.idle.get(python) ?? []
    this.idle.set(python, idle)
    if (idle.length < IDLE_PROCESSES) idle.push(process)
    else process.close()
  }

  private spawn(python: string): LineProcess {
    return new LineProcess(python, ['-m', 'skilldelta_py.analysis_server'], {
      env: {
        PYTHONPATH: PYTHON_PACKAGE_DIR,
        MPLBACKEND: 'Agg',
        OMP_NUM_THREADS: '1',
        OPENBLAS_NUM_THREADS: '1',
        HOME: '/tmp',
      },
      cwd: '/tmp',
    })
  }
}

const pool = new AnalysisPool()

/** Start this process's analysis process now, so the first check does not wait for Python's imports. */
export function startAnalyses(python = harnessPython()): void {
  pool.warm(python)
}

/** Stop this process's analysis processes. */
export function closeAnalyses(): void {
  pool.close()
}

/**
 * Run one harness analysis (python/skilldelta_py/<module>.py) on files the harness collected, in a
 * clean process that never sees the notebook's kernel. Odd data is a `problem`, never a throw.
 */
export async function runAnalysis<T>(
  module: string,
  request: unknown,
  resultSchema: z.ZodType<T>,
  python = harnessPython(),
): Promise<AnalysisResponse<T>> {
  const { line, why } = await pool.run(python, module, request)
  const schema = z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), result: resultSchema }),
    z.object({ ok: z.literal(false), problem: z.string() }),
  ])
  try {
    if (line === undefined) throw new Error(why)
    return schema.parse(JSON.parse(line)) as AnalysisResponse<T>
  } catch (error) {
    return { ok: false, problem: `the ${module} analysis ${why ?? `answered badly: ${(error as Error).message}`}` }
  }
}
