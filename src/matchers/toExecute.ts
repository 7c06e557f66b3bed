import type { MatcherState } from '@vitest/expect'
import type { ExecutionReport } from '../harness/notebook/report.ts'
import { recordMeasured } from './context.ts'

/** A trial that produced no notebook to execute, and why. */
export interface NotExecuted {
  executed: false
  reason: string
}
export type ExecutionSubject = ExecutionReport | NotExecuted

const TRACEBACK_TAIL = 8

export interface Assessment {
  pass: boolean
  message: string
  measured: Record<string, unknown>
}

const indent = (text: string, by = '    '): string =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n')

export function assessExecution(subject: ExecutionSubject): Assessment {
  if ('executed' in subject) {
    return { pass: false, message: `no notebook was executed: ${subject.reason}`, measured: { status: 'not_executed' } }
  }
  const measured = {
    status: subject.status,
    isolated: subject.isolated,
    wallMs: subject.wallMs,
    cellsOk: subject.cells.filter((c) => c.status === 'ok').length,
    codeCells: subject.cells.filter((c) => c.status !== 'skipped').length,
  }
  if (subject.status === 'ok') {
    return {
      pass: true,
      message: `every code cell ran without error (${measured.cellsOk} cells, ${(subject.wallMs / 1000).toFixed(1)} s)`,
      measured,
    }
  }
  if (subject.status === 'invalid_notebook') {
    const problems = subject.validation.problems
      .map((p) => `  - [${p.code}] ${p.message}\n    fix: ${p.hint}`)
      .join('\n')
    return { pass: false, message: `the notebook is not valid, so it was not run:\n${problems}`, measured }
  }
  if (subject.status === 'harness_error' || subject.status === 'harness_timeout') {
    return {
      pass: false,
      message: `the harness could not execute the notebook (${subject.status}): ${subject.harnessError}`,
      measured,
    }
  }
  const error = subject.firstError
  if (!error) return { pass: false, message: `the notebook did not execute (${subject.status})`, measured }
  const where = error.cell === null ? 'before any cell ran' : `cell ${error.cell} failed`
  const tail = error.traceback
    .join('\n')
    .split('\n')
    .filter((l) => l.trim())
    .slice(-TRACEBACK_TAIL)
    .join('\n')
  return {
    pass: false,
    message: [
      `expected the notebook to execute, but ${where} (${subject.status}):`,
      error.sourceExcerpt ? indent(error.sourceExcerpt, '  > ') : '',
      `  ${error.ename}: ${error.evalue}`,
      tail ? `  traceback (last lines):\n${indent(tail)}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
    measured: { ...measured, failingCell: error.cell, ename: error.ename, evalue: error.evalue },
  }
}

export function toExecute(this: MatcherState, received: ExecutionSubject) {
  const { pass, message, measured } = assessExecution(received)
  recordMeasured(this, measured)
  return {
    pass,
    message: () => (this.isNot ? `expected the notebook NOT to execute cleanly, but ${message}` : message),
  }
}
