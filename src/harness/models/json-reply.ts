import type { z } from 'zod'

/**
 * A model's JSON answer: the whole reply as JSON, or one fenced ```json block (some servers ignore a
 * requested response format), validated by `schema`. A problem names the first few fields that failed.
 */
export function parseJsonReply<T>(
  content: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; kind: 'empty' | 'invalid'; problem: string } {
  const text = content.trim()
  if (!text) return { ok: false, kind: 'empty', problem: 'the reply was empty' }
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n```$/.exec(text)
  let value: unknown
  try {
    value = JSON.parse(fenced?.[1] ?? text)
  } catch (error) {
    return { ok: false, kind: 'invalid', problem: `the reply is not JSON (${(error as Error).message})` }
  }
  const parsed = schema.safeParse(value)
  if (parsed.success) return { ok: true, value: parsed.data }
  const problem = parsed.error.issues
    .slice(0, 6)
    .map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`)
    .join('; ')
  return { ok: false, kind: 'invalid', problem }
}
