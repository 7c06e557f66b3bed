import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ConversionError, notebookFromScript } from '../../notebook/convert.ts'
import { extractScript } from './extract.ts'
import type { GenerationStrategy } from './types.ts'

/**
 * One reply with the notebook as a percent-format script (`# %%` cells) in a fenced block; the
 * harness, not the model, writes the .ipynb with jupytext and nbformat.
 */
export const singleShot: GenerationStrategy = async (context) => {
  const { dir } = context
  const reply = await context.client.complete(
    context.model,
    { messages: context.plan.messages },
    { sample: context.sample, signal: context.signal },
  )
  await writeFile(path.join(dir, 'reply.md'), reply.content)
  const artifacts: Record<string, string> = { reply: 'reply.md' }
  const produced = {
    generation: {
      tokensIn: reply.tokensIn,
      tokensOut: reply.tokensOut,
      latencyMs: reply.latencyMs,
      finishReason: reply.finishReason,
      attempts: reply.attempts,
    },
    reportedModel: reply.reportedModel,
    calls: { made: reply.cached ? 0 : 1, cached: reply.cached ? 1 : 0 },
    artifacts,
  }
  const extracted = extractScript(reply.content)
  if (!extracted.ok) return { ...produced, failure: extracted.reason }
  const script = path.join(dir, 'workflow.py')
  await writeFile(script, extracted.script)
  artifacts.script = 'workflow.py'
  const notebook = path.join(dir, 'workflow.ipynb')
  try {
    await notebookFromScript(script, notebook, context.sandbox)
  } catch (error) {
    if (error instanceof ConversionError) return { ...produced, failure: error.message }
    throw error
  }
  return { ...produced, notebook }
}
