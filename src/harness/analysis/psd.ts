import { z } from 'zod'
import { runAnalysis, type AnalysisResponse } from './python.ts'

const PsdRequestSchema = z
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
type PsdRequest = z.input<typeof PsdRequestSchema>

const PsdMeasurementSchema = z.object({
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

type PsdResponse = AnalysisResponse<PsdMeasurement>

/** Welch PSD of a probed signal, computed by scipy in a clean process (see python/skilldelta_py/psd.py). */
export function measurePsd(input: PsdRequest, python?: string): Promise<PsdResponse> {
  return runAnalysis('psd', PsdRequestSchema.parse(input), PsdMeasurementSchema, python)
}
