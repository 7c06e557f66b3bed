import { execa } from 'execa'
import { z } from 'zod'
import { harnessPython, PYTHON_PACKAGE_DIR } from '../config/paths.ts'

/** What an analysis module prints: its measurement, or the problem that prevents one. */
export type AnalysisResponse<T> = { ok: true; result: T } | { ok: false; problem: string }

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
  // the request goes on stdin: an argument is capped at 128 KB
  const result = await execa(python, ['-m', `skilldelta_py.${module}`, '-'], {
    input: JSON.stringify(request),
    extendEnv: false,
    env: {
      PYTHONPATH: PYTHON_PACKAGE_DIR,
      MPLBACKEND: 'Agg',
      OMP_NUM_THREADS: '1',
      OPENBLAS_NUM_THREADS: '1',
      HOME: '/tmp',
    },
    timeout: 120_000,
    reject: false,
  })
  const schema = z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), result: resultSchema }),
    z.object({ ok: z.literal(false), problem: z.string() }),
  ])
  try {
    return schema.parse(JSON.parse(result.stdout)) as AnalysisResponse<T>
  } catch {
    const why = result.timedOut
      ? 'timed out'
      : `exited ${result.exitCode ?? result.signal}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`
    return { ok: false, problem: `the ${module} analysis ${why}` }
  }
}
