import { appendFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ModelReply } from '../../models/client.ts'
import type { ChatMessage, ToolCall, ToolSpec } from '../../models/types.ts'
import type { ExecutionReport } from '../../notebook/report.ts'
import { checkSyntax } from '../../notebook/syntax.ts'
import { readSkillResource } from '../../skills/load.ts'
import type { CatalogEntry } from '../prompt.ts'
import type { GenerationStrategy } from './types.ts'
import {
  DRIVER_TOOLS,
  NAVIGATOR_TOOLS,
  NotebookDraft,
  parseToolCall,
  SKILL_TOOLS,
  toolSpecs,
} from './notebook-tools.ts'

/**
 * Driver / navigator generation. The navigator plans and reviews and has no write tools; the
 * driver edits the notebook through harness-owned cell tools. After every driver round the harness
 * executes the notebook and feeds a short execution report back; the loop ends on the navigator's
 * structured verdict (a tool call validated by zod), never on a phrase in free text.
 */

interface LoopLimits {
  maxRounds: number
  maxDriverTurns: number
  maxToolResultChars: number
  /** The same tool call with the same arguments this many times in a row stops the loop. */
  repeatLimit: number
}
const DEFAULT_LIMITS: LoopLimits = {
  maxRounds: 3,
  maxDriverTurns: 16,
  maxToolResultChars: 4_000,
  repeatLimit: 3,
}

type StopReason =
  'accepted' | 'gave_up' | 'max_rounds' | 'max_turns' | 'repetition' | 'no_verdict' | 'empty_notebook' | 'trial_timeout'

interface LoopResult {
  draft: NotebookDraft
  /** The last execution: what checks and the judge see. */
  execution?: ExecutionReport
  rounds: number
  turns: number
  stopReason: StopReason
  tokensIn: number
  tokensOut: number
  /** On-demand delivery: the skills (and skill files, as "name/path") the driver actually read, in order. */
  skillsRead: string[]
}

interface LoopContext {
  goal: string
  /** Driver skill text, for both prompts ('' when the condition has none or delivers on demand). */
  skills: string
  /** Navigator skills (review checklists): the navigator's prompt only, never the driver's. */
  navigatorSkills?: string
  /** On-demand delivery: skills listed by name and description, read with the read_skill tool. */
  catalog?: CatalogEntry[]
  /** compile() the code cells; problems go back to the driver at once. */
  checkSyntax?: (sources: string[]) => Promise<{ cell: number; line: number | null; message: string }[]>
  call: (role: 'driver' | 'navigator', messages: ChatMessage[], tools?: ToolSpec[]) => Promise<ModelReply>
  execute: (draft: NotebookDraft) => Promise<ExecutionReport>
  transcript: string
  limits?: Partial<LoopLimits>
  /** The trial's deadline (derived in config/limits.ts): when it fires the loop ends as trial_timeout. */
  signal?: AbortSignal
}

const NAVIGATOR_PROMPT = `You are the navigator in a pair writing a Jupyter notebook with The Virtual Brain \
(tvb-library 2.10, Python 3.11, numpy, scipy, matplotlib; TVB's default data is installed; no internet). You plan and \
you review; you never write code yourself. The driver builds the notebook with cell tools and the harness executes it.`

const DRIVER_PROMPT = `You are the driver in a pair writing a Jupyter notebook with The Virtual Brain \
(tvb-library 2.10, Python 3.11, numpy, scipy, matplotlib; TVB's default data is installed; no internet). Build the \
notebook ONLY with the tools: add_cell, replace_cell, delete_cell, list_cells, read_cell. Keep results in top-level \
variables. When the notebook is complete, call finish. The harness then executes it top to bottom in a fresh kernel \
and reports back.`

const kb = (bytes: number): string => `${Math.max(1, Math.round(bytes / 1024))} KB`

const listCatalog = (catalog: CatalogEntry[]): string =>
  catalog
    .map((s) => {
      const files = s.resources.length
        ? ` (files: ${s.resources.map((r) => `${r.path}, ${kb(r.bytes)}`).join('; ')})`
        : ''
      return `- ${s.name}: ${s.description}${files}`
    })
    .join('\n')

function driverSystem(skills: string, catalog?: CatalogEntry[]): string {
  if (catalog?.length) {
    return (
      `${DRIVER_PROMPT}\n\n# Skills\nDomain notes you can read with the read_skill tool when useful ` +
      `(a skill's files with its "file" argument):\n${listCatalog(catalog)}`
    )
  }
  return skills ? `${DRIVER_PROMPT}\n\n# Skills\nDomain notes you can rely on:\n\n${skills}` : DRIVER_PROMPT
}

function navigatorSystem(context: LoopContext): string {
  let prompt = NAVIGATOR_PROMPT
  if (context.catalog?.length)
    prompt += `\n\n# Skills\nDomain notes the driver can read when useful:\n${listCatalog(context.catalog)}`
  else if (context.skills) prompt += `\n\n# Skills\nDomain notes you can rely on:\n\n${context.skills}`
  if (context.navigatorSkills) prompt += `\n\n# Review notes\nFor you, the navigator:\n\n${context.navigatorSkills}`
  return prompt
}

const cap = (text: string, limit: number) =>
  text.length <= limit ? text : `${text.slice(0, limit)}\n… [${text.length - limit} more characters cut]`

/** A short execution report for the models: status, the failing cell and the end of its traceback. */
function executionSummary(report: ExecutionReport): string {
  if (report.status === 'ok')
    return `Executed: all ${report.cells.filter((c) => c.status === 'ok').length} code cells ran without error.`
  if (report.status === 'invalid_notebook')
    return `The notebook is invalid: ${report.validation.problems.map((p) => p.message).join('; ')}`
  const error = report.firstError
  if (!error) return `Execution failed (${report.status}).`
  const tail = error.traceback
    .join('\n')
    .split('\n')
    .filter((l) => l.trim())
    .slice(-6)
    .join('\n')
  return `Execution failed (${report.status}) in cell ${error.cell}: ${error.ename}: ${error.evalue}\n${tail}`
}

function digest(draft: NotebookDraft, limit: number): string {
  return draft.cells
    .map(
      (c, i) => `--- cell ${i} [${c.cell_type}]\n${cap(c.source, Math.floor(limit / Math.max(draft.cells.length, 1)))}`,
    )
    .join('\n')
}

/**
 * The loop, ended by the navigator's verdict, a limit, or the trial's deadline. At the deadline
 * whatever runs is cancelled and the last COMPLETED execution is what the trial keeps.
 */
async function driverNavigatorLoop(context: LoopContext): Promise<LoopResult> {
  const result: LoopResult = {
    draft: new NotebookDraft(),
    rounds: 0,
    turns: 0,
    stopReason: 'max_rounds',
    tokensIn: 0,
    tokensOut: 0,
    skillsRead: [],
  }
  const log = (entry: Record<string, unknown>) =>
    appendFile(
      context.transcript,
      `${JSON.stringify({ turn: result.turns, at: new Date().toISOString(), ...entry })}\n`,
    )
  try {
    return await loop(context, result, log)
  } catch (error) {
    if (!context.signal?.aborted) throw error
    await log({ role: 'harness', content: 'stopped: the trial reached its deadline' })
    return { ...result, stopReason: 'trial_timeout' }
  }
}

async function loop(
  context: LoopContext,
  result: LoopResult,
  log: (entry: Record<string, unknown>) => Promise<void>,
): Promise<LoopResult> {
  const limits = { ...DEFAULT_LIMITS, ...context.limits }
  const { draft } = result
  const call = async (role: 'driver' | 'navigator', messages: ChatMessage[], tools?: ToolSpec[]) => {
    const reply = await context.call(role, messages, tools)
    result.tokensIn += reply.tokensIn ?? 0
    result.tokensOut += reply.tokensOut ?? 0
    await log({
      role,
      model: reply.reportedModel,
      tokensIn: reply.tokensIn,
      tokensOut: reply.tokensOut,
      latencyMs: Math.round(reply.latencyMs),
      content: reply.content,
      toolCalls: reply.toolCalls,
    })
    return reply
  }

  const navigator = navigatorSystem(context)
  const plan = await call('navigator', [
    { role: 'system', content: navigator },
    {
      role: 'user',
      content:
        `${context.goal}\n\n` +
        'Write a short, numbered plan for the driver: which cells, in which order, with which TVB calls.',
    },
  ])
  const driver: ChatMessage[] = [
    { role: 'system', content: driverSystem(context.skills, context.catalog) },
    { role: 'user', content: `${context.goal}\n\nThe navigator's plan:\n${plan.content}` },
  ]
  const driverTools = toolSpecs(context.catalog?.length ? { ...DRIVER_TOOLS, ...SKILL_TOOLS } : DRIVER_TOOLS)
  const verdictTools = toolSpecs(NAVIGATOR_TOOLS)
  let lastSignature = ''
  let repeats = 0

  for (result.rounds = 1; result.rounds <= limits.maxRounds; result.rounds++) {
    let finished = false
    let edited = false
    let silentTurns = 0
    while (!finished) {
      if (result.turns >= limits.maxDriverTurns * limits.maxRounds) return { ...result, stopReason: 'max_turns' }
      context.signal?.throwIfAborted()
      result.turns += 1
      const reply = await call('driver', driver, driverTools)
      driver.push({ role: 'assistant', content: reply.content, toolCalls: reply.toolCalls })
      if (reply.toolCalls.length === 0) {
        silentTurns += 1
        if (silentTurns >= 2) break // it will not use the tools: execute what there is
        driver.push({
          role: 'user',
          content: 'Use the tools to edit the notebook, and call finish when it is complete.',
        })
        continue
      }
      for (const toolCall of reply.toolCalls) {
        const signature = `${toolCall.name}:${JSON.stringify(toolCall.arguments)}`
        repeats = signature === lastSignature ? repeats + 1 : 1
        lastSignature = signature
        if (repeats >= limits.repeatLimit) {
          await log({
            role: 'harness',
            content: `stopped: ${toolCall.name} repeated ${repeats} times with the same arguments`,
          })
          return { ...result, stopReason: 'repetition' }
        }
        const output =
          toolCall.name === 'read_skill' && context.catalog?.length
            ? readSkill(context.catalog, toolCall, result.skillsRead)
            : runTool(draft, toolCall)
        if (['add_cell', 'replace_cell', 'delete_cell'].includes(toolCall.name) && !output.startsWith('error'))
          edited = true
        if (toolCall.name === 'finish' && !output.startsWith('error')) finished = true
        const content = cap(output, limits.maxToolResultChars)
        driver.push({ role: 'tool', toolCallId: toolCall.id, name: toolCall.name, content })
        await log({ role: 'tool', name: toolCall.name, content })
      }
      if (edited && context.checkSyntax) {
        edited = false
        const code = draft.cells.flatMap((cell, index) =>
          cell.cell_type === 'code' ? [{ index, source: cell.source }] : [],
        )
        const problems = await context.checkSyntax(code.map((c) => c.source))
        if (problems.length) {
          const found = problems.map((p) => `cell ${code[p.cell]?.index} line ${p.line ?? '?'}: ${p.message}`)
          const report = `Syntax check: ${found.join('; ')}. Fix these before finishing.`
          driver.push({ role: 'user', content: report })
          await log({ role: 'harness', content: report })
          finished = false
        }
      }
    }

    if (!draft.cells.some((c) => c.cell_type === 'code' && c.source.trim())) {
      await log({ role: 'harness', content: 'the driver left no code to execute' })
      return { ...result, stopReason: 'empty_notebook' }
    }
    const execution = await context.execute(draft)
    context.signal?.throwIfAborted() // an execution cut off by the deadline is not a result
    result.execution = execution
    const summary = executionSummary(execution)
    await log({ role: 'harness', content: summary })

    const review: ChatMessage[] = [
      { role: 'system', content: navigator },
      {
        role: 'user',
        content:
          `${context.goal}\n\nThe notebook after round ${result.rounds}:\n${digest(draft, 12_000)}\n\n${summary}\n\n` +
          'Call verdict: accept if the notebook does the task correctly, revise with precise feedback otherwise, ' +
          'or give_up.',
      },
    ]
    let verdict: { decision: 'accept' | 'revise' | 'give_up'; feedback: string } | undefined
    for (let attempt = 0; attempt < 2 && !verdict; attempt++) {
      const reply = await call('navigator', review, verdictTools)
      const parsed = reply.toolCalls.map((c) => parseToolCall(NAVIGATOR_TOOLS, c)).find((p) => p.ok)
      if (parsed?.ok) verdict = parsed.args
      else {
        review.push({ role: 'assistant', content: reply.content, toolCalls: reply.toolCalls })
        for (const c of reply.toolCalls)
          review.push({
            role: 'tool',
            toolCallId: c.id,
            name: c.name,
            content: 'invalid: call verdict with decision and feedback',
          })
        review.push({
          role: 'user',
          content: 'Answer only by calling the verdict tool with decision (accept | revise | give_up) and feedback.',
        })
      }
    }
    if (!verdict) return { ...result, stopReason: 'no_verdict' }
    if (verdict.decision === 'accept') return { ...result, stopReason: 'accepted' }
    if (verdict.decision === 'give_up') return { ...result, stopReason: 'gave_up' }
    driver.push({
      role: 'user',
      content:
        `${summary}\n\nThe navigator asks for a revision:\n${verdict.feedback}\n\n` +
        'Fix the notebook with the tools, then call finish.',
    })
  }
  return { ...result, rounds: limits.maxRounds, stopReason: 'max_rounds' }
}

function runTool(draft: NotebookDraft, call: ToolCall): string {
  const parsed = parseToolCall(DRIVER_TOOLS, call)
  if (!parsed.ok) return `error: ${parsed.error}`
  try {
    return draft.apply(parsed.name, parsed.args).result
  } catch (error) {
    return `error: ${(error as Error).message}`
  }
}

/** read_skill: a listed skill's body, or one of its files; every successful read is logged. */
function readSkill(catalog: CatalogEntry[], call: ToolCall, read: string[]): string {
  const parsed = parseToolCall(SKILL_TOOLS, call)
  if (!parsed.ok) return `error: ${parsed.error}`
  const skill = catalog.find((s) => s.name === parsed.args.name)
  if (!skill) return `error: no skill named "${parsed.args.name}"; listed: ${catalog.map((s) => s.name).join(', ')}`
  const file: string | undefined = parsed.args.file
  if (file !== undefined && file !== 'SKILL.md') {
    const resource = readSkillResource(skill, file)
    if (!resource.ok) return `error: ${resource.error}`
    if (!read.includes(`${skill.name}/${file}`)) read.push(`${skill.name}/${file}`)
    return resource.text
  }
  if (!read.includes(skill.name)) read.push(skill.name)
  const files = skill.resources.map((r) => `${r.path} (${kb(r.bytes)})`)
  return files.length
    ? `${skill.body}\n\n[This skill has further files: ${files.join(', ')}. Read one with read_skill and "file".]`
    : skill.body
}

/** The strategy: the loop, with the harness's model client, executions and transcript. */
export const driverNavigator: GenerationStrategy = async (context) => {
  const { plan, dir } = context
  const calls = { made: 0, cached: 0 }
  let reportedModel: string | null = null
  const started = performance.now()
  const notebook = path.join(dir, 'workflow.ipynb')
  const loop = await driverNavigatorLoop({
    goal: plan.task,
    skills: plan.skillText,
    navigatorSkills: plan.navigatorSkillText,
    ...(plan.catalog ? { catalog: plan.catalog } : {}),
    checkSyntax,
    transcript: path.join(dir, 'transcript.jsonl'),
    signal: context.signal,
    call: async (_role, messages, tools) => {
      const reply = await context.client.complete(
        context.model,
        { messages, ...(tools ? { tools } : {}) },
        { sample: context.sample, signal: context.signal },
      )
      calls[reply.cached ? 'cached' : 'made'] += 1
      reportedModel = reply.reportedModel
      return reply
    },
    execute: async (draft) => {
      await writeFile(notebook, draft.toJson())
      return context.execute(notebook)
    },
  })
  const timedOut = loop.stopReason === 'trial_timeout'
  return {
    ...(loop.execution ? { execution: loop.execution } : {}),
    ...(loop.execution
      ? {}
      : { failure: `the driver/navigator loop stopped (${loop.stopReason}) before any notebook was executed` }),
    ...(timedOut ? { timedOut } : {}),
    generation: {
      tokensIn: loop.tokensIn,
      tokensOut: loop.tokensOut,
      latencyMs: performance.now() - started,
      finishReason: loop.stopReason,
      attempts: calls.made + calls.cached,
    },
    reportedModel,
    loop: {
      rounds: loop.rounds,
      turns: loop.turns,
      stopReason: loop.stopReason,
      ...(plan.catalog ? { skillsRead: loop.skillsRead } : {}),
    },
    calls,
    artifacts: { transcript: 'transcript.jsonl' },
  }
}
