import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { executeNotebook } from '../src/harness/notebook/execute.ts'
import { notebookJson, tempDir } from './helpers.ts'

const dir = tempDir('sd-validate-')

async function problemsOf(name: string, text: string) {
  const file = path.join(dir, `${name}.ipynb`)
  writeFileSync(file, text)
  const report = await executeNotebook({ notebook: file, trialDir: path.join(dir, name), totalTimeoutSeconds: 30 })
  return report
}

const valid = JSON.parse(notebookJson(['x = 1\nprint(x)'])) as Record<string, any>
const withCell = (cell: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...valid, ...extra, cells: [cell] })

describe('malformed notebooks are rejected with a specific error before anything runs', () => {
  test.each([
    ['prose instead of a notebook', 'Here is your notebook: first import TVB, then ...', 'not_json'],
    ['an empty file', '', 'empty_file'],
    [
      'a raw newline inside a JSON string',
      '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": "x = 1\ny = 2"}]}',
      'raw_newline_in_string',
    ],
    [
      'no top-level nbformat key (would silently run as empty code)',
      JSON.stringify({ metadata: {}, cells: valid.cells }),
      'missing_nbformat',
    ],
    ['nbformat 3', JSON.stringify({ ...valid, nbformat: 3 }), 'unsupported_version'],
    [
      'source lines without trailing newlines',
      withCell({ ...valid.cells[0], source: ['import numpy as np', 'x = np.ones(3)'] }),
      'source_lines_without_newline',
    ],
    [
      'double-escaped \\n',
      withCell({ ...valid.cells[0], source: 'import numpy as np\\nx = 1' }),
      'double_escaped_newlines',
    ],
    [
      'a code cell without outputs',
      withCell({ id: 'a', cell_type: 'code', metadata: {}, execution_count: null, source: 'x = 1' }),
      'missing_outputs',
    ],
    [
      'a cell without metadata',
      withCell({ id: 'a', cell_type: 'code', execution_count: null, outputs: [], source: 'x = 1' }),
      'missing_cell_metadata',
    ],
    ['cell ids with nbformat_minor 4', JSON.stringify({ ...valid, nbformat_minor: 4 }), 'cell_id_needs_minor_5'],
    ['only Markdown, no code', notebookJson([{ markdown: '# Title' }]), 'no_code_cells'],
    [
      'an R notebook',
      JSON.stringify({ ...valid, metadata: { kernelspec: { name: 'ir', display_name: 'R', language: 'R' } } }),
      'not_python',
    ],
  ])('%s → %s', async (name, text, code) => {
    const report = await problemsOf(name.replace(/\W+/g, '-'), text)
    expect(report.status).toBe('invalid_notebook')
    expect(report.validation.problems[0]).toMatchObject({ code, message: expect.any(String), hint: expect.any(String) })
    expect(report.cells).toEqual([])
    await expect(report).not.toExecute()
  })

  test('a valid notebook passes validation and runs', async () => {
    const report = await problemsOf('valid', notebookJson(['x = 1\nprint(x)']))
    expect(report.validation).toEqual({ ok: true, problems: [] })
    await expect(report).toExecute()
  })
})
