import { z } from 'zod'
import { plainText } from '../util/terminal.ts'
import type { CheckKind, ExecutionSubject, Verdict } from './types.ts'

const TRACEBACK_TAIL = 8

const indent = (text: string, by = '    '): string =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n')

/** Every code cell ran without error within the time limits. */
export function assessExecution(subject: ExecutionSubject): Verdict {
  if ('executed' in subject) {
    return {
      status: 'fail',
      message: `no notebook was executed: ${subject.reason}`,
      measured: { status: 'not_executed' },
    }
  }
  const measured = {
    status: subject.status,
    isolated: subject.isolated,
    wallMs: subject.wallMs,
    cellsOk: subject.cells.filter((c) => c.status === 'ok').length,
    codeCells: subject.cells.filter((c) => c.status !== 'skipped').length,
  }
  if (subject.status === 'ok') {
    const seconds = (subject.wallMs / 1000).toFixed(1)
    return {
      status: 'pass',
      message: `every code cell ran without error (${measured.cellsOk} cells, ${seconds} s)`,
      measured,
    }
  }
  const fail = (message: string, extra: Record<string, unknown> = {}): Verdict => ({
    status: 'fail',
    message,
    measured: { ...measured, ...extra },
  })
  if (subject.status === 'invalid_notebook') {
    const problems = subject.validation.problems
      .map((p) => `  - [${p.code}] ${p.message}\n    fix: ${p.hint}`)
      .join('\n')
    return fail(`the notebook is not valid, so it was not run:\n${problems}`)
  }
  if (subject.status === 'harness_error' || subject.status === 'harness_timeout') {
    return fail(`the harness could not execute the notebook (${subject.status}): ${subject.harnessError}`)
  }
  const error = subject.firstError
  if (!error) return fail(`the notebook did not execute (${subject.status})`)
  const where = error.cell === null ? 'before any cell ran' : `cell ${error.cell} failed`
  const tail = plainText(error.traceback.join('\n'))
    .split('\n')
    .filter((l) => l.trim())
    .slice(-TRACEBACK_TAIL)
    .join('\n')
  const message = [
    `expected the notebook to execute, but ${where} (${subject.status}):`,
    error.sourceExcerpt ? indent(plainText(error.sourceExcerpt), '  > ') : '',
    `  ${plainText(error.ename)}: ${plainText(error.evalue)}`,
    tail ? `  traceback (last lines):\n${indent(tail)}` : '',
  ]
    .filter(Boolean)
    .join('\n')
  return fail(message, { failingCell: error.cell, ename: error.ename, evalue: error.evalue })
}

export const executes: CheckKind<Record<string, never>> = {
  key: 'executes',
  summary: 'every code cell runs without error within the time limits (on unless `executes: false`)',
  schema: z.object({}).strict(),
  many: false,
  objective: true,
  needs: ['execution'],
  testName: () => 'executes',
  assess: async (_params, inputs) => assessExecution(inputs.execution()),
}
