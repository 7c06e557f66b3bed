import { execa } from 'execa'
import { harnessPython, PYTHON_PACKAGE_DIR } from '../config/paths.ts'

/** Bar chart of Δ per model and condition with CI error bars (matplotlib); undefined when nothing to draw. */
export async function drawDeltaChart(ablationJson: string, png: string): Promise<string | undefined> {
  const result = await execa(harnessPython(), ['-m', 'skilldelta_py.delta_chart', ablationJson, png], {
    extendEnv: false,
    env: { PYTHONPATH: PYTHON_PACKAGE_DIR, MPLBACKEND: 'Agg', HOME: '/tmp' },
    reject: false,
    timeout: 60_000,
  })
  return result.exitCode === 0 && Number(result.stdout.trim()) > 0 ? png : undefined
}
