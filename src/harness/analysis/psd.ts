import { execa } from 'execa'
import { z } from 'zod'
import { harnessPython, PYTHON_PACKAGE_DIR } from '../config/paths.ts'

export const PsdRequestSchema = z
  .object({
    signal: z.string().min(1).describe('.npz with `time` (ms) and time-first `data`'),
    band: z.tuple([z.number().positive(), z.number().positive()]),
    variableIndex: z.number().int().min(0).default(0),
    modeIndex: z.number().int().min(0).default(0),
    transientMs: z.number().min(0).optional(),
    segmentMs: z.number().positive().default(2000),
    fminHz: z.number().min(0).default(2),
    fmaxHz: z.number().positive().default(40),
    plotPath: z.string().optional(),
    title: z.string().optional(),
  })
  .strict()
export type PsdRequest = z.input<typeof PsdRequestSchema>

export const PsdMeasurementSchema = z.object({
  fsHz: z.number(),
  dtMs: z.number(),
  durationMs: z.number(),
  droppedMs: z.number(),
  samplesUsed: z.number().int(),
  regions: z.number().int(),
  nperseg: z.number().int(),
  resolutionHz: z.number(),
  searchHz: z.tuple([z.number(), z.number()]),
  peakHz: z.number(),
  bandPowerFraction: z.number(),
  regionsPeakingInBand: z.number(),
  std: z.object({ median: z.number(), min: z.number(), max: z.number() }),
  decayRatio: z.number(),
  freqs: z.array(z.number()),
  meanPsd: z.array(z.number()),
  plot: z.string().optional(),
})
export type PsdMeasurement = z.infer<typeof PsdMeasurementSchema>

const PsdResponseSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: PsdMeasurementSchema }),
  z.object({ ok: z.literal(false), problem: z.string() }),
])
export type PsdResponse = z.infer<typeof PsdResponseSchema>

/** Welch PSD of a probed signal, computed by scipy in a clean process (see python/skilldelta_py/psd.py). */
export async function measurePsd(input: PsdRequest, python = harnessPython()): Promise<PsdResponse> {
  const request = PsdRequestSchema.parse(input)
  const result = await execa(python, ['-m', 'skilldelta_py.psd', JSON.stringify(request)], {
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
  try {
    return PsdResponseSchema.parse(JSON.parse(result.stdout))
  } catch {
    const why = result.timedOut
      ? 'timed out'
      : `exited ${result.exitCode ?? result.signal}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`
    return { ok: false, problem: `the PSD analysis ${why}` }
  }
}
