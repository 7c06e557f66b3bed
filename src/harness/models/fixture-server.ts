import { createHash } from 'node:crypto'
import { appendFileSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { definedOnly, estimateTokens } from '../util/defined.ts'

/**
 * A real HTTP server on loopback that speaks the OpenAI chat-completions wire protocol and
 * replays scripted replies. Trials talk to it through the real `openai` client, so the whole
 * path (HTTP, JSON, usage, model id) runs in tests and CI without a model.
 *
 * A rule's reply depends on what the prompt contains (`when`), and may be drawn at random from
 * `one_of` — seeded, so the same task and sample always draw the same reply. The draw depends on
 * the script's `seed`, the model, the last user message (the task) and the sample index (sent by the
 * fixture provider in a header), not on the system prompt: two skill libraries given the same task
 * are compared on the same draws (common random numbers), while fresh samples draw anew.
 */

/** The request header carrying the trial's sample index (the fixture provider sets it). */
export const SAMPLE_HEADER = 'x-skilldelta-sample'

const ReplyRuleSchema = z
  .object({
    when: z
      .object({
        /** Substring of the last user message (case-sensitive). */
        contains: z.string().min(1).optional(),
        /** Substring of the system message (tells the driver from the navigator). */
        system: z.string().min(1).optional(),
        /** How many assistant messages the conversation already has (0: the first call). */
        turn: z.number().int().min(0).optional(),
      })
      .strict()
      .default({}),
    /** Answer with these tool calls. */
    tool_calls: z
      .array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()).default({}) }).strict())
      .optional(),
    /** Answer with one add_cell call per cell of this percent-format script. */
    add_cells_from: z.string().optional(),
    /** Reply with this percent-format script inside a ```python block. */
    notebook: z.string().optional(),
    /**
     * Leave out the script's first cell: a negative control's documentation cell names its mistake
     * and its target check, which neither the judge nor a replayed conversation may see.
     */
    drop_first_cell: z.boolean().default(false),
    /** Reply with this text verbatim. */
    text: z.string().optional(),
    /**
     * Reply with one of these, drawn at random by weight: seeded by the script's `seed`, the model,
     * the task (last user message) and the sample index, so a run is reproducible.
     */
    one_of: z
      .array(
        z
          .object({
            weight: z.number().positive().default(1),
            notebook: z.string().optional(),
            text: z.string().optional(),
            drop_first_cell: z.boolean().default(false),
          })
          .strict()
          .refine((c) => (c.notebook === undefined) !== (c.text === undefined), {
            message: 'each choice needs either `notebook` (a script file) or `text`',
          }),
      )
      .min(1)
      .optional(),
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
  .refine(
    (rule) =>
      [rule.notebook, rule.text, rule.tool_calls, rule.add_cells_from, rule.one_of].some((v) => v !== undefined) &&
      [rule.notebook, rule.text, rule.one_of].filter((v) => v !== undefined).length <= 1,
    {
      message:
        'each reply needs one of `text`, `notebook` (a script file) or `one_of`, or `tool_calls` / `add_cells_from`',
    },
  )

const FixtureScriptSchema = z
  .object({
    /** Seeds every `one_of` draw of the script. */
    seed: z.number().int().default(0),
    replies: z.array(ReplyRuleSchema).min(1),
  })
  .strict()

interface FixtureFault {
  status?: number
  retryAfter?: number
  delayMs?: number
  truncate?: boolean
  /** How many more requests get the fault; undefined: all of them. */
  remaining?: number
}

export interface FixtureReply {
  contains?: string
  system?: string
  turn?: number
  toolCalls?: { name: string; arguments: Record<string, unknown> }[]
  content: string
  /** Seeded alternatives to `content` (one_of), each with its weight, and the script's seed. */
  choices?: { weight: number; content: string }[]
  seed?: number
  respondAs?: string
  fault?: FixtureFault
}

/** A reply carrying a percent-format notebook, as a model would write it. */
const notebookReply = (script: string): string => `Here is the notebook.\n\n\`\`\`python\n${script.trimEnd()}\n\`\`\`\n`

/** Load a fixture script; notebook paths are relative to the script file. */
export function loadFixtureScript(file: string): FixtureReply[] {
  const parsed = FixtureScriptSchema.safeParse(parseYaml(readFileSync(file, 'utf8')))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}`)
  }
  const script = (relative: string, dropFirst: boolean): string => {
    const source = readFileSync(path.resolve(path.dirname(file), relative), 'utf8')
    return dropFirst ? withoutFirstCell(source) : source
  }
  return parsed.data.replies.map((rule) => ({
    ...(rule.when.contains ? { contains: rule.when.contains } : {}),
    ...(rule.when.system ? { system: rule.when.system } : {}),
    ...(rule.when.turn !== undefined ? { turn: rule.when.turn } : {}),
    ...(rule.tool_calls || rule.add_cells_from
      ? {
          toolCalls: [
            ...(rule.tool_calls ?? []),
            ...(rule.add_cells_from ? cellsAsToolCalls(script(rule.add_cells_from, rule.drop_first_cell)) : []),
          ],
        }
      : {}),
    ...(rule.respond_as ? { respondAs: rule.respond_as } : {}),
    ...(rule.fault
      ? {
          fault: definedOnly({
            status: rule.fault.status,
            retryAfter: rule.fault.retry_after,
            delayMs: rule.fault.delay_ms,
            truncate: rule.fault.truncate,
            remaining: rule.fault.times,
          }),
        }
      : {}),
    ...(rule.one_of
      ? {
          seed: parsed.data.seed,
          choices: rule.one_of.map((choice) => ({
            weight: choice.weight,
            content: choice.text ?? notebookReply(script(choice.notebook!, choice.drop_first_cell)),
          })),
        }
      : {}),
    content:
      rule.text ??
      (rule.notebook === undefined ? '' : undefined) ??
      notebookReply(script(rule.notebook!, rule.drop_first_cell)),
  }))
}

/** A uniform number in [0, 1) from the seed, the model, the task and the sample: the same inputs, the same draw. */
export function seededDraw(seed: number, model: string, task: string, sample: number): number {
  const digest = createHash('sha256').update(`${seed}\u0000${model}\u0000${task}\u0000${sample}`).digest()
  return digest.readUInt32BE(0) / 2 ** 32
}

/** The choice a draw `u` in [0, 1) lands on, by cumulative weight. */
export function choose<T extends { weight: number }>(choices: T[], u: number): T {
  const total = choices.reduce((sum, c) => sum + c.weight, 0)
  let edge = 0
  for (const choice of choices) {
    edge += choice.weight / total
    if (u < edge) return choice
  }
  return choices.at(-1)!
}

/** What a request asked, as a short stable key (tests match logged requests to trials' prompt.json). */
export function requestFingerprint(messages: { role: string; content: unknown }[]): string {
  const pairs = messages.map((m) => [m.role, textOf(m.content)])
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex').slice(0, 16)
}

/** A percent-format script without its first `# %%` cell. */
function withoutFirstCell(source: string): string {
  const lines = source.split('\n')
  const markers = lines.flatMap((line, i) => (/^# %%/.test(line) ? [i] : []))
  if (markers.length < 2) return source
  return lines.slice(markers[1]).join('\n')
}

/** Fixture-only sugar: a percent-format script as add_cell calls (one per `# %%` cell). */
function cellsAsToolCalls(script: string): { name: string; arguments: Record<string, unknown> }[] {
  const cells: { type: 'code' | 'markdown'; lines: string[] }[] = []
  for (const line of script.split('\n')) {
    const marker = /^# %%(.*)$/.exec(line)
    if (marker) cells.push({ type: /\[markdown\]/.test(marker[1] ?? '') ? 'markdown' : 'code', lines: [] })
    else (cells.at(-1) ?? (cells.push({ type: 'code', lines: [] }), cells.at(-1)!)).lines.push(line)
  }
  return cells
    .map((cell) => ({
      ...cell,
      source: (cell.type === 'markdown' ? cell.lines.map((l) => l.replace(/^# ?/, '')) : cell.lines).join('\n').trim(),
    }))
    .filter((cell) => cell.source)
    .map((cell) => ({ name: 'add_cell', arguments: { cell_type: cell.type, source: cell.source } }))
}

const ChatRequestSchema = z
  .object({
    model: z.string(),
    messages: z
      .array(
        z.object({ role: z.string(), content: z.union([z.string(), z.array(z.unknown()), z.null()]) }).passthrough(),
      )
      .min(1),
  })
  .passthrough()

interface RecordedRequest {
  model: string
  messages: { role: string; content: unknown }[]
  body: Record<string, unknown>
}

/**
 * A provider's capacity, for throughput tests: at most `concurrent` chat requests are served at
 * once, each taking `latencyMs`; a request beyond the cap is refused at once with 429 and
 * `Retry-After: retryAfterSeconds` (default 1), as hosted APIs do.
 */
export interface FixtureCapacity {
  concurrent: number
  latencyMs: number
  retryAfterSeconds?: number
}

/** What the server saw of its capacity: the most chat requests served at once, and the 429s it sent. */
export interface FixtureLoad {
  served: number
  peakInFlight: number
  throttled: number
}

export interface FixtureServer {
  /** Base URL for OpenAI clients, ending in /v1. */
  url: string
  /** Host for Ollama clients (the same server speaks /api/chat). */
  origin: string
  requests: RecordedRequest[]
  load(): FixtureLoad
  close(): Promise<void>
}

type Protocol = 'openai' | 'ollama'

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** An error in the protocol's own shape: OpenAI nests an object, Ollama sends a string. */
function sendError(
  res: ServerResponse,
  protocol: Protocol,
  status: number,
  message: string,
  code: string,
  headers: Record<string, string> = {},
): void {
  const body =
    protocol === 'openai'
      ? { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code, param: null } }
      : { error: message }
  send(res, status, body, headers)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content))
    return content.map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : '')).join('')
  return ''
}

function completion(
  protocol: Protocol,
  model: string,
  content: string,
  promptTokens: number,
  id: number,
  toolCalls: NonNullable<FixtureReply['toolCalls']>,
): unknown {
  const completionTokens = estimateTokens(content + JSON.stringify(toolCalls))
  if (protocol === 'ollama') {
    return {
      model,
      created_at: new Date().toISOString(),
      message: {
        role: 'assistant',
        content,
        ...(toolCalls.length
          ? { tool_calls: toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
          : {}),
      },
      done: true,
      done_reason: 'stop',
      total_duration: 1_000_000,
      load_duration: 0,
      prompt_eval_count: promptTokens,
      prompt_eval_duration: 500_000,
      eval_count: completionTokens,
      eval_duration: 500_000,
    }
  }
  return {
    id: `chatcmpl-fixture-${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'skilldelta-fixture',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          ...(toolCalls.length
            ? {
                tool_calls: toolCalls.map((c, n) => ({
                  id: `call_${id}_${n}`,
                  type: 'function',
                  function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                })),
              }
            : {}),
        },
        finish_reason: toolCalls.length ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  }
}

/**
 * Why a fixture model cannot answer, and how to make it: the goal (the prompt's first heading), the
 * script to edit, and the rule to add.
 */
function noReply(model: string, prompt: string, script: string | undefined): string {
  const lines = prompt.split('\n').map((l) => l.trim())
  const heading = lines.find((l) => /^#\s+\S/.test(l)) ?? lines.find((l) => l) ?? ''
  const quoted = JSON.stringify(heading.slice(0, 80))
  const where = script
    ? `to ${path.relative(process.cwd(), script) || script}`
    : "to the model's fixture script (models.yaml: script)"
  const goal = heading ? `"${heading.slice(0, 80)}"` : 'an empty prompt'
  return (
    `the fixture model '${model}' has no scripted reply for this goal (${goal}): ` +
    `no rule's "when" matches the prompt. Add a rule ${where}, e.g.\n` +
    `  - when: { contains: ${quoted} }\n    notebook: <a percent-format script that solves it, relative to the script>`
  )
}

/** Start a fixture server. `scripts` maps a model id to its scripted replies. */
export async function startFixtureServer(
  scripts: Record<string, FixtureReply[]>,
  options: {
    /** Append one JSON line per request here (tests count real model calls across processes). */
    log?: string
    /** The script file of each model id, for the message when no rule matches (read when it happens). */
    files?: Record<string, string>
    /** Serve like a provider with a hard concurrency cap and a fixed latency (throughput tests). */
    capacity?: FixtureCapacity
  } = {},
): Promise<FixtureServer> {
  const requests: RecordedRequest[] = []
  let counter = 0
  const load: FixtureLoad = { served: 0, peakInFlight: 0, throttled: 0 }
  let inFlight = 0

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fixture')
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return send(res, 200, {
        object: 'list',
        data: Object.keys(scripts).map((id) => ({ id, object: 'model', created: 0, owned_by: 'skilldelta-fixture' })),
      })
    }
    if (req.method === 'GET' && url.pathname === '/api/version')
      return send(res, 200, { version: '0.0.0-skilldelta-fixture' })
    if (req.method === 'GET' && url.pathname === '/api/tags')
      return send(res, 200, { models: Object.keys(scripts).map((name) => ({ name, model: name })) })
    const protocol: Protocol | undefined =
      url.pathname === '/v1/chat/completions' ? 'openai' : url.pathname === '/api/chat' ? 'ollama' : undefined
    if (req.method !== 'POST' || !protocol)
      return sendError(res, 'openai', 404, `no route ${req.method} ${url.pathname}`, 'not_found')

    let body: z.infer<typeof ChatRequestSchema>
    try {
      body = ChatRequestSchema.parse(JSON.parse(await readBody(req)))
    } catch (error) {
      return sendError(res, protocol, 400, `malformed chat request: ${(error as Error).message}`, 'invalid_request')
    }
    requests.push({ model: body.model, messages: body.messages, body })
    const prompt = textOf(body.messages.filter((m) => m.role === 'user').at(-1)?.content)
    const sampleHeader = Number.parseInt(String(req.headers[SAMPLE_HEADER] ?? '0'), 10)
    const sample = Number.isFinite(sampleHeader) && sampleHeader >= 0 ? sampleHeader : 0
    // tests and users can count real model calls across processes, and see what each one asked
    if (options.log) {
      const line = {
        model: body.model,
        protocol,
        sample,
        prompt: requestFingerprint(body.messages),
        asked: (prompt.split('\n').find((l) => l.trim()) ?? '').trim().slice(0, 80),
      }
      appendFileSync(options.log, `${JSON.stringify(line)}\n`)
    }
    const replies = scripts[body.model]
    if (!replies) {
      return sendError(
        res,
        protocol,
        404,
        protocol === 'ollama' ? `model '${body.model}' not found` : `The model '${body.model}' does not exist`,
        'model_not_found',
      )
    }
    const system = textOf(body.messages.find((m) => m.role === 'system')?.content)
    const turn = body.messages.filter((m) => m.role === 'assistant').length
    const reply = replies.find(
      (rule) =>
        (rule.contains === undefined || prompt.includes(rule.contains)) &&
        (rule.system === undefined || system.includes(rule.system)) &&
        (rule.turn === undefined || rule.turn === turn),
    )
    if (!reply)
      return sendError(res, protocol, 422, noReply(body.model, prompt, options.files?.[body.model]), 'fixture_no_match')

    const { capacity } = options
    if (capacity && inFlight >= capacity.concurrent) {
      load.throttled += 1
      const retryAfter = { 'retry-after': String(capacity.retryAfterSeconds ?? 1) }
      return sendError(res, protocol, 429, 'too many concurrent requests', 'rate_limit_exceeded', retryAfter)
    }
    if (capacity) {
      inFlight += 1
      load.peakInFlight = Math.max(load.peakInFlight, inFlight)
      try {
        await sleep(capacity.latencyMs)
      } finally {
        inFlight -= 1
      }
      load.served += 1
    }
    const fault = reply.fault
    const faulty = fault !== undefined && (fault.remaining === undefined || fault.remaining > 0)
    if (faulty && fault.remaining !== undefined) fault.remaining -= 1
    if (faulty && fault.delayMs) await sleep(fault.delayMs)
    if (faulty && fault.status) {
      const headers: Record<string, string> =
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}
      return sendError(res, protocol, fault.status, `fixture fault ${fault.status}`, 'fixture_fault', headers)
    }
    counter += 1
    const promptTokens = body.messages.reduce((sum, m) => sum + estimateTokens(textOf(m.content)), 0)
    // a scripted judge echoes the fence it was shown, as a real one must ({{fence}} in its reply)
    const fence = /<(notebook-[0-9a-f]{16})>/.exec(body.messages.map((m) => textOf(m.content)).join('\n'))?.[1]
    const content = reply.choices
      ? choose(reply.choices, seededDraw(reply.seed ?? 0, body.model, prompt, sample)).content
      : reply.content
    const payload = completion(
      protocol,
      reply.respondAs ?? body.model,
      fence ? content.replaceAll('{{fence}}', fence) : content,
      promptTokens,
      counter,
      reply.toolCalls ?? [],
    )
    if (faulty && fault.truncate) {
      const text = JSON.stringify(payload)
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(text.slice(0, Math.floor(text.length / 2)))
    }
    return send(res, 200, payload)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 'openai', 500, String(error), 'fixture_error')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    load: () => ({ ...load }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
