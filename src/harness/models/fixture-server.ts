import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

/**
 * A real HTTP server on loopback that speaks the OpenAI chat-completions wire protocol and
 * replays scripted replies. Trials talk to it through the real `openai` client, so the whole
 * path (HTTP, JSON, usage, model id) runs in tests and CI without a model.
 */

const ReplyRuleSchema = z
  .object({
    when: z
      .object({
        /** Substring of the last user message (case-sensitive). */
        contains: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    /** Reply with this percent-format script inside a ```python block. */
    notebook: z.string().optional(),
    /** Reply with this text verbatim. */
    text: z.string().optional(),
    /** Claim to be this model in the response (to test the harness's model-id check). */
    respond_as: z.string().optional(),
    /** Misbehave first: the next `times` matching requests get this fault, then the reply (default: always). */
    fault: z
      .object({
        status: z.number().int().min(400).max(599).optional(),
        retry_after: z.number().min(0).optional(),
        delay_ms: z.number().int().min(0).optional(),
        truncate: z.boolean().optional(),
        times: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((rule) => (rule.notebook === undefined) !== (rule.text === undefined), {
    message: 'each reply needs exactly one of `notebook` (a script file) or `text`',
  })

export const FixtureScriptSchema = z.object({ replies: z.array(ReplyRuleSchema).min(1) }).strict()

export interface FixtureFault {
  status?: number
  retryAfter?: number
  delayMs?: number
  truncate?: boolean
  /** How many more requests get the fault; undefined: all of them. */
  remaining?: number
}

export interface FixtureReply {
  contains?: string
  content: string
  respondAs?: string
  fault?: FixtureFault
}

/** Load a fixture script; notebook paths are relative to the script file. */
export function loadFixtureScript(file: string): FixtureReply[] {
  const parsed = FixtureScriptSchema.safeParse(parseYaml(readFileSync(file, 'utf8')))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}`)
  }
  return parsed.data.replies.map((rule) => ({
    ...(rule.when.contains ? { contains: rule.when.contains } : {}),
    ...(rule.respond_as ? { respondAs: rule.respond_as } : {}),
    ...(rule.fault
      ? {
          fault: Object.fromEntries(
            Object.entries({ status: rule.fault.status, retryAfter: rule.fault.retry_after, delayMs: rule.fault.delay_ms, truncate: rule.fault.truncate, remaining: rule.fault.times }).filter(
              ([, v]) => v !== undefined,
            ),
          ) as FixtureFault,
        }
      : {}),
    content:
      rule.text ??
      `Here is the notebook.\n\n\`\`\`python\n${readFileSync(path.resolve(path.dirname(file), rule.notebook!), 'utf8').trimEnd()}\n\`\`\`\n`,
  }))
}

const ChatRequestSchema = z
  .object({
    model: z.string(),
    messages: z.array(z.object({ role: z.string(), content: z.union([z.string(), z.array(z.unknown()), z.null()]) }).passthrough()).min(1),
  })
  .passthrough()

export interface RecordedRequest {
  model: string
  messages: { role: string; content: unknown }[]
  body: Record<string, unknown>
}

export interface FixtureServer {
  /** Base URL for OpenAI clients, ending in /v1. */
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

/** Rough token estimate: the fixture has no tokenizer, and says so in its usage numbers' name. */
const estimateTokens = (text: string): number => Math.ceil(text.length / 4)

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

const openAiError = (message: string, code: string, type = 'invalid_request_error') => ({ error: { message, type, code, param: null } })

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) return content.map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : '')).join('')
  return ''
}

/** Start a fixture server. `scripts` maps a model id to its scripted replies. */
export async function startFixtureServer(scripts: Record<string, FixtureReply[]>): Promise<FixtureServer> {
  const requests: RecordedRequest[] = []
  let counter = 0

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fixture')
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        return send(res, 200, { object: 'list', data: Object.keys(scripts).map((id) => ({ id, object: 'model', created: 0, owned_by: 'skilldelta-fixture' })) })
      }
      if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
        return send(res, 404, openAiError(`no route ${req.method} ${url.pathname}`, 'not_found'))
      }
      let body: z.infer<typeof ChatRequestSchema>
      try {
        body = ChatRequestSchema.parse(JSON.parse(await readBody(req)))
      } catch (error) {
        return send(res, 400, openAiError(`malformed chat request: ${(error as Error).message}`, 'invalid_request'))
      }
      requests.push({ model: body.model, messages: body.messages, body })
      const replies = scripts[body.model]
      if (!replies) return send(res, 404, openAiError(`The model '${body.model}' does not exist`, 'model_not_found'))
      const prompt = textOf(body.messages.filter((m) => m.role === 'user').at(-1)?.content)
      const reply = replies.find((rule) => rule.contains === undefined || prompt.includes(rule.contains))
      if (!reply) return send(res, 422, openAiError(`no scripted reply matches this prompt for '${body.model}'`, 'fixture_no_match'))
      const promptTokens = body.messages.reduce((sum, m) => sum + estimateTokens(textOf(m.content)), 0)
      const completionTokens = estimateTokens(reply.content)
      counter += 1
      return send(res, 200, {
        id: `chatcmpl-fixture-${counter}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: reply.respondAs ?? body.model,
        system_fingerprint: 'skilldelta-fixture',
        choices: [{ index: 0, message: { role: 'assistant', content: reply.content, refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      })
    })().catch((error: unknown) => send(res, 500, openAiError(String(error), 'fixture_error', 'server_error')))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}
