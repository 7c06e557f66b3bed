import { SourceMapGenerator, type RawSourceMap } from 'source-map-js'
import { parseGoal, type GoalError, type GoalOptions, type GoalWarning } from './parse.ts'
import type { Goal } from './schema.ts'

interface CompiledGoal {
  code: string
  map: RawSourceMap
  /** The parsed goal, or the error the compiled module throws at collection. */
  goal?: Goal
  error?: GoalError
  /** Every problem (the module throws the first; `skilldelta goals` lists them all). */
  errors?: GoalError[]
  warnings: GoalWarning[]
}

interface CompileOptions extends GoalOptions {
  /** Module specifier the generated code imports the runtime from. */
  runtimeImport: string
}

/** Emits generated lines, each remembering the GOAL.md line it stands for. */
class MappedLines {
  private readonly lines: { text: string; origin: number }[] = []
  add(origin: number, ...texts: string[]): void {
    for (const text of texts) this.lines.push({ text, origin })
  }
  render(file: string, source: string): { code: string; map: RawSourceMap } {
    const generator = new SourceMapGenerator({ file })
    generator.setSourceContent(file, source)
    this.lines.forEach(({ origin }, index) => {
      generator.addMapping({
        source: file,
        generated: { line: index + 1, column: 0 },
        original: { line: origin, column: 0 },
      })
    })
    return { code: `${this.lines.map((l) => l.text).join('\n')}\n`, map: generator.toJSON() }
  }
}

/**
 * A JavaScript literal for untrusted text (GOAL.md is pull-request input): JSON plus escaped
 * U+2028/U+2029, which end a line — and so a comment — in JavaScript source.
 */
const literal = (value: unknown, indent?: number): string =>
  JSON.stringify(value, null, indent)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
function compileError(file: string, source: string, errors: GoalError[]): CompiledGoal {
  const error = errors[0]!
  const message = errors.map((e) => e.message).join('\n')
  const out = new MappedLines()
  out.add(error.line, `// skilldelta could not compile this GOAL.md; the error below is its collection failure.`)
  out.add(error.line, `const error = new Error(${literal(message)})`, `error.name = 'GoalError'`, 'throw error')
  return { ...out.render(file, source), error, errors, warnings: [] }
}

/**
 * Compile a GOAL.md into a Vitest test module: a describe per condition (and sample), a test per
 * check. Every check compiles to the same line; what it does lives in its registry entry. The
 * describe blocks are concurrent, so the trials of a file overlap (each is admitted by its provider).
 */
export function compileGoal(input: string | Uint8Array, file: string, options: CompileOptions): CompiledGoal {
  const { runtimeImport, ...goalOptions } = options
  const source = typeof input === 'string' ? input : Buffer.from(input).toString('utf8')
  const parsed = parseGoal(input, file, goalOptions)
  if (!parsed.ok) return compileError(file, source, parsed.errors)
  const { goal } = parsed
  const out = new MappedLines()
  const header = `// Compiled by skilldelta from a GOAL.md (source ${literal(goal.file)}). Edit the GOAL.md, not this.`

  // untrusted text never goes into comments: only into literals built by literal()
  out.add(1, header.replace(/[\r\n\u2028\u2029]/g, ' '))
  out.add(1, `import { describe, test } from 'vitest'`)
  out.add(1, `import { defineGoal, eachSample, runConditions, useTrial } from ${literal(runtimeImport)}`)
  out.add(1, '')
  out.add(goal.titleLine, ...`const goal = defineGoal(${literal(goal, 2)})`.split('\n'), '')
  // the cells (conditions, samples) run concurrently; the checks of one cell in order, on its one trial
  out.add(goal.titleLine, `describe.for(runConditions())('%s', { concurrent: true }, (condition) => {`)
  out.add(goal.titleLine, `  eachSample((sample) => {`)
  out.add(goal.titleLine, `    const trial = useTrial(goal, condition, sample)`)
  goal.checks.forEach((check, index) => {
    const body = `(context) => trial.check(context, ${index}), trial.timeout(${index})`
    out.add(check.line, `    test.sequential(${literal(check.name)}, ${body})`)
  })
  out.add(goal.titleLine, `  })`, `})`)
  return { ...out.render(file, source), goal, warnings: parsed.warnings }
}
