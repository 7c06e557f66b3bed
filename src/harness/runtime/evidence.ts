import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import * as allure from 'allure-js-commons'
import type { RunnerTestCase } from 'vitest'
import type { Attachment, CheckKind, Verdict } from '../checks/types.ts'
import type { ExecutionSettings } from '../config/settings.ts'
import { JUDGE_DIMENSIONS } from '../judge/subject.ts'
import { renderNotebookHtml } from '../notebook/render.ts'
import type { TrialOutcome } from '../trial/run.ts'
import { plainText } from '../util/terminal.ts'

/**
 * What people need to see when a cell fails, as files in the trial directory: the generated
 * notebook, the executed notebook as (script-free) HTML, the failing cell with its traceback,
 * the model's reply or transcript, the judge's scores and reasons. They are attached to the
 * failing test as annotations (Vitest UI and the html report show them) and, when the Allure
 * reporter is on, as Allure attachments.
 */

export type Evidence = Attachment

/** The failing cell, its source and its traceback, as plain text. */
function failureText(outcome: TrialOutcome): string | undefined {
  const execution = outcome.execution
  const record = outcome.state.value
  if (!execution) return record.error ? `${record.status}: ${record.error}\n` : undefined
  const error = execution.firstError
  const cell = error?.cell === null || error?.cell === undefined ? undefined : execution.cells[error.cell]
  const lines = [`execution status: ${execution.status}`]
  if (execution.harnessError) lines.push(`harness: ${execution.harnessError}`)
  if (error) {
    lines.push(
      '',
      `cell ${error.cell ?? '?'} failed: ${error.ename}: ${error.evalue}`,
      '',
      '--- source ---',
      cell?.sourceExcerpt ?? error.sourceExcerpt,
    )
    lines.push('', '--- traceback ---', plainText((cell?.error?.traceback ?? error.traceback).join('\n')))
  }
  const problems = execution.validation.problems
  if (problems.length)
    lines.push(
      '',
      '--- notebook problems ---',
      ...problems.map((p) => `${p.code} at ${p.path}: ${p.message} (${p.hint})`),
    )
  return `${lines.join('\n')}\n`
}

/** Text for one Markdown table cell: pipes escaped, one line. */
const cellText = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

function judgementMarkdown(outcome: TrialOutcome): string | undefined {
  const judge = outcome.state.value.judge
  if (!judge) return undefined
  if (judge.status === 'error') return `# Judge error (${judge.error?.kind})\n\n${judge.error?.message}\n`
  const rows = JUDGE_DIMENSIONS.map(
    (d) => `| ${d} | ${judge.scores?.[d] ?? '—'} | ${cellText(judge.reasons?.[d] ?? '')} |`,
  )
  const removed = judge.flags.map((f) => `cell ${f.cell}: "${f.excerpt}"`).join('; ')
  const flags = judge.flags.length
    ? `\n\nRemoved ${judge.flags.length} passage(s) addressed to the grader: ${removed}\n`
    : ''
  const title = `# Judge: mean ${judge.mean?.toFixed(2)} (${judge.model.name}, rubric v${judge.rubric?.version ?? '?'})`
  return `${title}\n\n| Dimension | Score | Reason |\n|---|---|---|\n${rows.join('\n')}\n${flags}`
}

const rendered = new Map<string, Promise<string | undefined>>()

/** The executed notebook as HTML, rendered once per trial. */
function executedHtml(outcome: TrialOutcome, sandbox: ExecutionSettings['sandbox']): Promise<string | undefined> {
  // only the copy the harness collected: files inside the sandbox are the notebook's to forge
  const source = outcome.execution?.executedNotebook
  const { dir } = outcome.state
  if (!source || !existsSync(source)) return Promise.resolve(undefined)
  let html = rendered.get(dir)
  if (!html) {
    const file = path.join(dir, 'executed.html')
    html = renderNotebookHtml(source, file, sandbox).then(
      async () => {
        await outcome.state.attached('html', 'executed.html')
        return file
      },
      (error: unknown) => {
        console.warn(`[skilldelta] could not render ${source} as HTML: ${(error as Error).message}`)
        return undefined
      },
    )
    rendered.set(dir, html)
  }
  return html
}

/** The files that explain this check's verdict: its own (a PSD plot), and for failures the trial's. */
export async function evidenceFor(
  kind: Pick<CheckKind, 'needs'>,
  verdict: Verdict,
  outcome: TrialOutcome,
  sandbox: ExecutionSettings['sandbox'],
): Promise<Evidence[]> {
  const { dir } = outcome.state
  const artifacts = outcome.state.value.artifacts
  const failed = verdict.status === 'fail'
  const evidence: Evidence[] = []
  const at = (name: string | undefined) => (name ? path.join(dir, name) : undefined)
  const add = (title: string, file: string | undefined, contentType: string) => {
    if (file && existsSync(file)) evidence.push({ title, file, contentType })
  }
  for (const attachment of verdict.attachments ?? []) add(attachment.title, attachment.file, attachment.contentType)
  if (kind.needs.includes('judge')) {
    const markdown = judgementMarkdown(outcome)
    if (markdown) {
      await writeFile(path.join(dir, 'judgement.md'), markdown)
      add('judge: scores and reasons', path.join(dir, 'judgement.md'), 'text/markdown')
    }
    if (failed) {
      add('what the judge read (notebook digest)', at(artifacts.judgeDigest), 'text/markdown')
      add('executed notebook (HTML)', await executedHtml(outcome, sandbox), 'text/html')
    }
    return evidence
  }
  if (!failed) return evidence
  const failure = failureText(outcome)
  if (failure) {
    await writeFile(path.join(dir, 'failure.txt'), failure)
    add('failing cell and traceback', path.join(dir, 'failure.txt'), 'text/plain')
  }
  add('executed notebook (HTML)', await executedHtml(outcome, sandbox), 'text/html')
  add('generated notebook', at(artifacts.notebook), 'application/x-ipynb+json')
  add('model reply', at(artifacts.reply), 'text/markdown')
  add('driver/navigator transcript', at(artifacts.transcript), 'application/x-ndjson')
  return evidence
}

/** allure-js-commons calls are no-ops without the Allure reporter; skip them (and their warnings) then. */
const allureActive = (): boolean =>
  typeof (globalThis as { allureTestRuntime?: unknown }).allureTestRuntime === 'function'

/** Annotations reach Vitest UI and the html report; allure-vitest ignores them, so Allure gets the files directly. */
export async function publishEvidence(task: Readonly<RunnerTestCase>, evidence: Evidence[]): Promise<void> {
  for (const item of evidence) {
    await task.context.annotate(item.title, { path: item.file, contentType: item.contentType })
    if (allureActive()) await allure.attachmentPath(item.title, item.file, { contentType: item.contentType })
  }
}

interface CellIdentity {
  model: string
  condition: string
  goal: string
  tier: string
  sample: number
}

/** Allure: parameters and labels so reports group by model, goal and condition. */
export async function describeForAllure(cell: CellIdentity): Promise<void> {
  if (!allureActive()) return
  await allure.parameter('model', cell.model)
  await allure.parameter('condition', cell.condition)
  await allure.parameter('goal', cell.goal)
  await allure.parameter('sample', String(cell.sample))
  await allure.parentSuite(cell.model)
  await allure.epic(cell.tier)
  await allure.feature(cell.goal)
  await allure.story(cell.condition)
  await allure.label('tier', cell.tier)
  await allure.label('goal', cell.goal)
}
