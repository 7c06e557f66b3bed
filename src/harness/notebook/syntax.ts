import { execa } from 'execa'
import { z } from 'zod'
import { harnessPython, PYTHON_PACKAGE_DIR } from '../config/paths.ts'

const ProblemsSchema = z.array(
  z.object({ cell: z.number().int(), line: z.number().int().nullable(), message: z.string(), text: z.string() }),
)
type SyntaxProblem = z.infer<typeof ProblemsSchema>[number]

/**
 * compile() every code cell (after IPython's own transforms, so magics pass) without running
 * anything: fast feedback to the driver after each turn, before a full execution. `cells` are the
 * code cells' sources; `cell` in a problem indexes into that list.
 */
export async function checkSyntax(cells: string[]): Promise<SyntaxProblem[]> {
  const { stdout } = await execa(harnessPython(), ['-m', 'skilldelta_py.syntax'], {
    input: JSON.stringify(cells),
    extendEnv: false,
    env: { PYTHONPATH: PYTHON_PACKAGE_DIR, HOME: '/tmp' },
    timeout: 30_000,
  })
  return ProblemsSchema.parse(JSON.parse(stdout))
}
