import { SourceMapGenerator, type RawSourceMap } from 'source-map-js'
import { parseGoal, type GoalError } from './parse.ts'
import type { Goal, JudgeScoreCheck, PsdPeakCheck, SignalCheck } from './schema.ts'

export interface CompiledGoal {
  code: string
  map: RawSourceMap
  /** The parsed goal, or the error the compiled module throws at collection. */
  goal?: Goal
  error?: GoalError
}

export interface CompileOptions {
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
const hz = (n: number): string => `${n}`

export function psdTestName(check: PsdPeakCheck): string {
  const where = check.signal === 'auto' ? '' : ` (${check.signal.source ?? check.signal.monitor})`
  return `PSD peak in ${hz(check.band[0])}–${hz(check.band[1])} Hz${where}`
}

export function signalTestName(check: SignalCheck): string {
  const where = check.signal === 'auto' ? 'a simulated signal' : `signal ${check.signal.source ?? check.signal.monitor}`
  const needs = [
    check.min_samples !== undefined ? `≥ ${check.min_samples} samples` : '',
    check.regions !== undefined ? `${check.regions} regions` : '',
    check.period_ms !== undefined ? `period ${check.period_ms} ms` : '',
  ].filter(Boolean)
  return `has ${where}${needs.length ? ` with ${needs.join(', ')}` : ''}`
}

export function judgeTestName(check: JudgeScoreCheck): string {
  if (typeof check === 'number') return `judge score ≥ ${check}`
  return `judge ${Object.entries(check)
    .map(([dimension, min]) => `${dimension} ≥ ${min}`)
    .join(', ')}`
}

function compileError(file: string, source: string, error: GoalError): CompiledGoal {
  const out = new MappedLines()
  out.add(error.line, `// skilldelta could not compile this GOAL.md; the error below is its collection failure.`)
  out.add(error.line, `const error = new Error(${literal(error.message)})`, `error.name = 'GoalError'`, 'throw error')
  return { ...out.render(file, source), error }
}

/** Compile a GOAL.md into a Vitest test module: a describe per condition, a test per check. */
export function compileGoal(source: string, file: string, options: CompileOptions): CompiledGoal {
  const parsed = parseGoal(source, file)
  if (!parsed.ok) return compileError(file, source, parsed.error)
  const { goal } = parsed
  const { checks, lines } = goal
  const out = new MappedLines()

  // untrusted text never goes into comments: only into literals built by literal()
  out.add(
    1,
    `// Compiled by skilldelta from a GOAL.md (source ${literal(goal.file)}). Edit the GOAL.md, not this file.`.replace(
      /[\r\n\u2028\u2029]/g,
      ' ',
    ),
  )
  out.add(1, `import { describe, test } from 'vitest'`)
  out.add(1, `import { defineGoal, eachSample, runConditions, useTrial } from ${literal(options.runtimeImport)}`)
  out.add(1, '')
  out.add(lines.title, ...`const goal = defineGoal(${literal(goal, 2)})`.split('\n'), '')
  out.add(lines.title, `describe.for(runConditions())('%s', (condition) => {`)
  out.add(lines.title, `  eachSample((sample) => {`)
  out.add(lines.title, `    const trial = useTrial(goal, condition, sample)`)

  if (checks.executes) {
    out.add(lines.executes, '', `    test('executes', async ({ expect, task }) => {`)
    out.add(
      lines.executes,
      `      await trial.check(task, 'executes', () => expect(trial.execution()).toExecute())`,
      `    })`,
    )
  }
  checks.psd_peak?.forEach((check, index) => {
    const line = lines.psd_peak[index] ?? lines.executes
    const ref = `goal.checks.psd_peak[${index}]`
    out.add(line, '', `    test(${literal(psdTestName(check))}, async ({ expect, task }) => {`)
    out.add(line, `      const signal = await trial.signal(${ref}.signal)`)
    out.add(line, `      await trial.check(task, 'psd_peak[${index}]', () =>`)
    out.add(
      line,
      `        expect(signal).toHavePSDPeakIn(${hz(check.band[0])}, ${hz(check.band[1])}, ${ref}))`,
      `    })`,
    )
  })
  checks.signal?.forEach((check, index) => {
    const line = lines.signal[index] ?? lines.executes
    const ref = `goal.checks.signal[${index}]`
    out.add(line, '', `    test(${literal(signalTestName(check))}, async ({ expect, task }) => {`)
    out.add(line, `      const signal = await trial.signal(${ref}.signal)`)
    out.add(
      line,
      `      await trial.check(task, 'signal[${index}]', () => expect(signal).toMatchSignal(${ref}))`,
      `    })`,
    )
  })
  if (checks.judge_score !== undefined) {
    const line = lines.judge_score
    out.add(line, '', `    test(${literal(judgeTestName(checks.judge_score))}, async ({ expect, task, skip }) => {`)
    out.add(line, `      const verdict = await trial.judge(skip)`)
    out.add(
      line,
      `      await trial.check(task, 'judge_score', () => expect(verdict).toScoreAtLeast(goal.checks.judge_score))`,
      `    })`,
    )
  }
  out.add(lines.title, `  })`, `})`)
  return { ...out.render(file, source), goal }
}
