import { execa } from 'execa'
import { z } from 'zod'
import { harnessPython, PYTHON_PACKAGE_DIR } from '../config/paths.ts'

const DrawnSchema = z.object({ delta: z.number(), size: z.number() })

/** Where a run's charts go: Δ per model and condition, and the scores against model size. */
export interface ChartFiles {
  delta: string
  size: string
}

/**
 * A run's charts, drawn in one Python process (python/skilldelta_py/charts.py) that starts — and
 * imports matplotlib — when this object is made, then waits for the paths: a reporter makes it when
 * the run starts and the run's end does not wait for the imports. The charts: Δ per model and
 * condition with CI error bars; and the picture of the study — every model's baseline and skills
 * scores against its size (params, log scale) with 95 % intervals and the reference baseline as a line.
 */
const start = () =>
  execa(harnessPython(), ['-m', 'skilldelta_py.charts'], {
    extendEnv: false,
    env: { PYTHONPATH: PYTHON_PACKAGE_DIR, MPLBACKEND: 'Agg', HOME: '/tmp' },
    stdin: 'pipe',
    reject: false,
  })

export class ChartDrawer {
  private readonly child: ReturnType<typeof start> = start()

  /** Draw from ablation.json: the PNGs that were written (a chart with nothing to show is not). */
  async draw(ablationJson: string, png: ChartFiles): Promise<string[]> {
    this.child.stdin.end(`${JSON.stringify({ ablation: ablationJson, ...png })}\n`)
    // a chart that takes this long is not coming: the run's end does not hang on it
    const timer = setTimeout(() => this.child.kill(), 120_000)
    const result = await this.child.finally(() => clearTimeout(timer))
    let drawn: z.infer<typeof DrawnSchema>
    try {
      drawn = DrawnSchema.parse(JSON.parse(result.stdout))
    } catch {
      return [] // no pictures: the tables and ablation.json stand without them
    }
    return [drawn.delta > 0 ? png.delta : undefined, drawn.size > 0 ? png.size : undefined].filter(
      (file): file is string => file !== undefined,
    )
  }

  /** Not needed after all: the process ends (end of input). */
  close(): void {
    this.child.stdin.end()
  }
}

/** Draw a run's charts now (see ChartDrawer). */
export const drawCharts = (ablationJson: string, png: ChartFiles): Promise<string[]> =>
  new ChartDrawer().draw(ablationJson, png)
