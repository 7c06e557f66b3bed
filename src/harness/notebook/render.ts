import type { ExecutionSettings } from '../config/settings.ts'
import { transformInSandbox } from './scratch.ts'

const MAX_HTML_BYTES = 30_000_000

/**
 * Render an executed notebook as a standalone HTML page for people browsing failures (Vitest UI,
 * the html report, Allure). nbconvert renders it in a throwaway sandbox with its sanitiser on,
 * and the page carries a Content-Security-Policy that forbids scripts: model-written outputs
 * must not run in the browser that shows them.
 */
export async function renderNotebookHtml(
  notebook: string,
  html: string,
  mode: ExecutionSettings['sandbox'],
): Promise<string> {
  await transformInSandbox({
    module: 'skilldelta_py.render_html',
    input: notebook,
    output: html,
    inputName: 'notebook.ipynb',
    outputName: 'notebook.html',
    maxOutputBytes: MAX_HTML_BYTES,
    mode,
  })
  return html
}
