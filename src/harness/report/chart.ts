import { execa } from 'execa'
import { harnessPython, PYTHON_PACKAGE_DIR } from '../config/paths.ts'

/** Run one of the chart modules on ablation.json; the PNG, or undefined when there was nothing to draw. */
async function draw(module: string, ablationJson: string, png: string): Promise<string | undefined> {
  const result = await execa(harnessPython(), ['-m', `skilldelta_py.${module}`, ablationJson, png], {
    extendEnv: false,
    env: { PYTHONPATH: PYTHON_PACKAGE_DIR, MPLBACKEND: 'Agg', HOME: '/tmp' },
    reject: false,
    timeout: 60_000,
  })
  return result.exitCode === 0 && Number(result.stdout.trim()) > 0 ? png : undefined
}

/** Bar chart of Δ per model and condition with CI error bars (matplotlib). */
export const drawDeltaChart = (ablationJson: string, png: string): Promise<string | undefined> =>
  draw('delta_chart', ablationJson, png)

/**
 * The picture of the study: every model's baseline and skills scores against its size (params, log
 * scale) with 95 % intervals, and the reference model's baseline as a line.
 */
export const drawSizeChart = (ablationJson: string, png: string): Promise<string | undefined> =>
  draw('size_chart', ablationJson, png)
