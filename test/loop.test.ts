import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { ModelSpec } from '../src/harness/config/models.ts'
import { resolveSettings } from '../src/harness/config/settings.ts'
import { parseGoal } from '../src/harness/goal/parse.ts'
import { loadFixtureScript, startFixtureServer, type FixtureServer } from '../src/harness/models/fixture-server.ts'
import { objectiveScore } from '../src/harness/report/ablation.ts'
import { buildTelemetry } from '../src/harness/report/telemetry.ts'
import { NotebookDraft, toolSpecs, DRIVER_TOOLS } from '../src/harness/trial/strategies/notebook-tools.ts'
import { ROOT, tempDir, trial } from './helpers.ts'

const dir = tempDir('sd-loop-')
const servers: FixtureServer[] = []
afterAll(async () => {
  for (const server of servers) await server.close()
})

const NAV = 'You are the navigator'
const DRV = 'You are the driver'

/** Run one driver/navigator trial against a scripted fixture model. */
async function episode(name: string, rules: string[], protocol: 'openai' | 'ollama' = 'openai', goalFile?: string) {
  const script = path.join(dir, `${name}.yaml`)
  writeFileSync(script, ['replies:', ...rules].join('\n'))
  const server = await startFixtureServer({ [`fx/${name}`]: loadFixtureScript(script) })
  servers.push(server)
  const model: ModelSpec = {
    name: `agent-${name}`,
    provider: 'fixture',
    protocol,
    strategy: 'driver-navigator',
    model: `fx/${name}`,
    script,
    context_window: 32_768,
    concurrency: 1,
    timeout_seconds: 30,
    generation: {},
  }
  const file = goalFile ?? path.join(ROOT, 'benchmarks/tutorial/arithmetic.GOAL.md')
  const source = goalFile
    ? readFileSync(goalFile, 'utf8')
    : '---\nchecks:\n  executes: true\n---\n# Goal: Multiply\n\nPrint 6 times 7.\n'
  const parsed = parseGoal(source, file)
  if (!parsed.ok) throw parsed.error
  const settings = { ...resolveSettings({}, ROOT, {}), runId: `loop-${name}`, resultsDir: path.join(dir, 'results') }
  const outcome = await trial({
    goal: parsed.goal,
    model,
    condition: { name: 'zero_shot', skills: 'none' },
    settings,
    fixtureUrl: server.url,
  })
  const transcript = readFileSync(path.join(outcome.dir, 'transcript.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { ...outcome, transcript, server }
}

const plan = `  - { when: { system: "${NAV}", contains: "numbered plan" }, text: "1. print the product" }`

describe('driver / navigator generation', () => {
  test.each(['openai', 'ollama'] as const)(
    '%s: a revision round turns a failing notebook into an accepted one',
    async (protocol) => {
      const { record, transcript, execution } = await episode(
        `revise-${protocol}`,
        [
          plan,
          `  - { when: { system: "${NAV}", contains: "Execution failed" }, tool_calls: [{ name: verdict, arguments: { decision: revise, feedback: "x is undefined: define it" } }] }`,
          `  - { when: { system: "${NAV}", contains: "Executed: all" }, tool_calls: [{ name: verdict, arguments: { decision: accept, feedback: ok } }] }`,
          `  - { when: { system: "${DRV}", turn: 0 }, tool_calls: [{ name: add_cell, arguments: { cell_type: code, source: "print(x * 7)" } }, { name: finish, arguments: { summary: s } }] }`,
          `  - { when: { system: "${DRV}", turn: 1 }, tool_calls: [{ name: add_cell, arguments: { cell_type: code, source: "x = 6", index: 0 } }, { name: finish, arguments: { summary: s } }] }`,
        ],
        protocol,
      )
      expect(record).toMatchObject({
        status: 'ok',
        loop: { rounds: 2, stopReason: 'accepted' },
        model: { reported: `fx/revise-${protocol}` },
      })
      expect(record.generation?.tokensIn).toBeGreaterThan(0)
      // the checked notebook is the last one executed
      expect(execution?.status).toBe('ok')
      expect(readFileSync(execution!.executedNotebook!, 'utf8')).toContain('42')
      const roles = transcript.map((e) => e.role)
      expect(roles).toEqual([
        'navigator',
        'driver',
        'tool',
        'tool',
        'harness',
        'navigator',
        'driver',
        'tool',
        'tool',
        'harness',
        'navigator',
      ])
      expect(transcript.find((e) => e.role === 'harness')?.content).toMatch(/NameError: name 'x' is not defined/)
    },
  )

  test('bad tool arguments are answered with the validation error, and the driver can recover', async () => {
    const { record, transcript } = await episode('bad-args', [
      plan,
      `  - { when: { system: "${NAV}" }, tool_calls: [{ name: verdict, arguments: { decision: accept, feedback: ok } }] }`,
      `  - { when: { system: "${DRV}", turn: 0 }, tool_calls: [{ name: add_cell, arguments: { cell_type: python, source: "print(42)" } }, { name: read_cell, arguments: { index: 9 } }, { name: rm_rf, arguments: {} }] }`,
      `  - { when: { system: "${DRV}", turn: 1 }, tool_calls: [{ name: add_cell, arguments: { cell_type: code, source: "print(42)" } }, { name: finish, arguments: { summary: s } }] }`,
    ])
    const toolResults = transcript.filter((e) => e.role === 'tool').map((e) => e.content as string)
    expect(toolResults[0]).toMatch(/^error: invalid arguments for add_cell/)
    expect(toolResults[1]).toBe('error: there is no cell 9; the notebook has 0 cells')
    expect(toolResults[2]).toMatch(/^error: unknown tool "rm_rf"/)
    expect(record).toMatchObject({ status: 'ok', loop: { stopReason: 'accepted' } })
  })

  test('a driver repeating the same call is stopped, and the trial is a generation failure', async () => {
    const { record } = await episode('repeat', [
      plan,
      `  - { when: { system: "${DRV}" }, tool_calls: [{ name: list_cells, arguments: {} }] }`,
    ])
    expect(record).toMatchObject({ status: 'generation_failed', loop: { stopReason: 'repetition' } })
    expect(record.error).toContain('repetition')
  })

  test('a navigator that never gives a structured verdict ends the loop (no_verdict); the notebook still counts', async () => {
    const { record } = await episode('no-verdict', [
      plan,
      `  - { when: { system: "${NAV}" }, text: "Looks great, I am done!" }`,
      `  - { when: { system: "${DRV}", turn: 0 }, tool_calls: [{ name: add_cell, arguments: { cell_type: code, source: "print(42)" } }, { name: finish, arguments: { summary: s } }] }`,
    ])
    expect(record).toMatchObject({ status: 'ok', loop: { stopReason: 'no_verdict', rounds: 1 } })
  })

  test('the oracle episode on real TVB: crash, revision, PSD in the alpha band', async () => {
    const goal = path.join(ROOT, 'benchmarks/tutorial/analyze_power_spectra.GOAL.md')
    const rules = readFileSync(path.join(ROOT, 'benchmarks/fixtures/agent.yaml'), 'utf8')
      .split('\n')
      .slice(5)
      .join('\n')
      .replace(/\.\.\//g, path.join(ROOT, 'benchmarks') + '/')
    writeFileSync(path.join(dir, 'agent-rules.txt'), rules)
    const { record, execution } = await episode('tvb', rules.split('\n'), 'openai', goal)
    expect(record).toMatchObject({
      status: 'ok',
      loop: { rounds: 2, stopReason: 'accepted' },
      execution: { status: 'ok', isolated: true },
    })
    expect(
      execution?.probe.status === 'ok' && execution.probe.signals.some((s) => s.monitor === 'TemporalAverage'),
    ).toBe(true)
  })
})

describe('notebook tools', () => {
  test('tool parameters are JSON Schema generated from the zod schemas', () => {
    const specs = toolSpecs(DRIVER_TOOLS)
    expect(specs.map((s) => s.name)).toEqual([
      'list_cells',
      'read_cell',
      'add_cell',
      'replace_cell',
      'delete_cell',
      'finish',
    ])
    expect(specs.find((s) => s.name === 'add_cell')?.parameters).toMatchObject({
      type: 'object',
      properties: { cell_type: { enum: ['code', 'markdown'] }, source: { type: 'string' } },
      required: ['cell_type', 'source'],
      additionalProperties: false,
    })
  })

  test('the draft edits cells and serialises valid nbformat 4.5', () => {
    const draft = new NotebookDraft()
    draft.apply('add_cell', { cell_type: 'code', source: 'b = 2' })
    draft.apply('add_cell', { cell_type: 'markdown', source: '# Title', index: 0 })
    draft.apply('replace_cell', { index: 1, source: 'b = 3' })
    expect(draft.apply('list_cells', {}).result).toBe('0 [markdown] # Title (1 lines)\n1 [code] b = 3 (1 lines)')
    draft.apply('delete_cell', { index: 0 })
    const nb = JSON.parse(draft.toJson())
    expect(nb).toMatchObject({
      nbformat: 4,
      nbformat_minor: 5,
      cells: [{ cell_type: 'code', source: 'b = 3', outputs: [], execution_count: null, metadata: {} }],
    })
  })
})

describe('on-demand skills and per-turn syntax checks', () => {
  test('the driver sees a catalog, reads one skill with read_skill, and the record says which', async () => {
    const script = path.join(dir, 'ondemand.yaml')
    writeFileSync(
      script,
      [
        'replies:',
        `  - { when: { system: "${NAV}", contains: "numbered plan" }, text: "1. read the simulator skill" }`,
        `  - { when: { system: "${NAV}" }, tool_calls: [{ name: verdict, arguments: { decision: accept, feedback: ok } }] }`,
        `  - { when: { system: "${DRV}", turn: 0 }, tool_calls: [{ name: read_skill, arguments: { name: tvb-simulator } }, { name: read_skill, arguments: { name: nope } }] }`,
        `  - { when: { system: "${DRV}", turn: 1 }, tool_calls: [{ name: add_cell, arguments: { cell_type: code, source: "print(6 * 7)" } }, { name: finish, arguments: { summary: s } }] }`,
      ].join('\n'),
    )
    const server = await startFixtureServer({ 'fx/ondemand': loadFixtureScript(script) })
    servers.push(server)
    const model: ModelSpec = {
      name: 'od',
      provider: 'fixture',
      protocol: 'openai',
      strategy: 'driver-navigator',
      model: 'fx/ondemand',
      script,
      context_window: 32_768,
      concurrency: 1,
      timeout_seconds: 30,
      generation: {},
    }
    const file = path.join(ROOT, 'benchmarks/tutorial/od.GOAL.md')
    const parsed = parseGoal(
      '---\nchecks:\n  executes: true\n---\n# Goal: Run a TVB Simulator\n\nConfigure a Simulator with a TemporalAverage monitor and call sim.run.\n',
      file,
    )
    if (!parsed.ok) throw parsed.error
    const settings = { ...resolveSettings({}, ROOT, {}), runId: 'loop-ondemand', resultsDir: path.join(dir, 'results') }
    const outcome = await trial({
      goal: parsed.goal,
      model,
      condition: { name: 'skills_on_demand', skills: 'select', delivery: 'on-demand' },
      settings,
      fixtureUrl: server.url,
    })
    expect(outcome.record).toMatchObject({
      status: 'ok',
      loop: { skillsRead: ['tvb-simulator'] },
      prompt: { skillBudgetTokens: -1, delivery: 'on-demand' },
    })
    // the report's skill-use table reads the same record: offered, read, no silent bypass
    const [use] = buildTelemetry([outcome.record], objectiveScore, 'zero_shot').rows
    expect(use).toMatchObject({ condition: 'skills_on_demand', trials: 1, read: 1, bypass: 0 })
    expect(use!.skills['tvb-simulator']).toEqual({ offered: 1, read: 1 })
    const driverRequest = server.requests.find((r) => String(r.messages[0]?.content).startsWith(DRV))
    expect(String(driverRequest?.messages[0]?.content)).toContain('- tvb-simulator: Assemble, configure and run')
    expect(String(driverRequest?.messages[0]?.content)).not.toContain('```python') // names and descriptions only
    const transcript = readFileSync(path.join(outcome.dir, 'transcript.jsonl'), 'utf8')
    expect(transcript).toContain('error: no skill named \\"nope\\"')
  })

  test('a syntax error is reported to the driver right after its edit, before finish is accepted', async () => {
    const { record, transcript } = await episode('syntax', [
      plan,
      `  - { when: { system: "${NAV}" }, tool_calls: [{ name: verdict, arguments: { decision: accept, feedback: ok } }] }`,
      `  - { when: { system: "${DRV}", turn: 0 }, tool_calls: [{ name: add_cell, arguments: { cell_type: code, source: "%time x = 6\\nprint(x * 7" } }, { name: finish, arguments: { summary: s } }] }`,
      `  - { when: { system: "${DRV}", turn: 1 }, tool_calls: [{ name: replace_cell, arguments: { index: 0, source: "%time x = 6\\nprint(x * 7)" } }, { name: finish, arguments: { summary: s } }] }`,
    ])
    const harness = transcript.filter((e) => e.role === 'harness').map((e) => String(e.content))
    expect(harness[0]).toMatch(/^Syntax check: cell 0 line 2: /)
    expect(record).toMatchObject({ status: 'ok', loop: { rounds: 1, turns: 2, stopReason: 'accepted' } })
  })
})

describe('navigator skills and skill files', () => {
  test('a navigator skill reaches only the navigator; the driver reads a skill file on demand, and the read is logged', async () => {
    const skillsDir = tempDir('sd-loop-skills-')
    const write = (relative: string, text: string) => {
      mkdirSync(path.dirname(path.join(skillsDir, relative)), { recursive: true })
      writeFileSync(path.join(skillsDir, relative), text)
    }
    // Agent Skills with only name and description; the role of the second comes from its navigator/ folder
    write(
      'driver/product-helper/SKILL.md',
      '---\nname: product-helper\ndescription: Multiplying numbers in Python. Use whenever a task multiplies or prints a product.\n---\nMultiply with *.\n',
    )
    write('driver/product-helper/references/table.md', 'HELPER-FILE: 6 times 7 is 42.\n')
    write(
      'navigator/product-review/SKILL.md',
      '---\nname: product-review\ndescription: Review checklist for a printed product. Use when reviewing a product that was printed.\n---\nREVIEW-NOTE: check the printed product is 42.\n',
    )
    const script = path.join(dir, 'navskills.yaml')
    writeFileSync(
      script,
      [
        'replies:',
        `  - { when: { system: "${NAV}", contains: "numbered plan" }, text: "1. print the product" }`,
        `  - { when: { system: "${NAV}" }, tool_calls: [{ name: verdict, arguments: { decision: accept, feedback: ok } }] }`,
        `  - { when: { system: "${DRV}", turn: 0 }, tool_calls: [{ name: read_skill, arguments: { name: product-helper } }, { name: read_skill, arguments: { name: product-helper, file: references/table.md } }, { name: read_skill, arguments: { name: product-helper, file: ../../navigator/product-review/SKILL.md } }] }`,
        `  - { when: { system: "${DRV}", turn: 1 }, tool_calls: [{ name: add_cell, arguments: { cell_type: code, source: "print(6 * 7)" } }, { name: finish, arguments: { summary: s } }] }`,
      ].join('\n'),
    )
    const server = await startFixtureServer({ 'fx/navskills': loadFixtureScript(script) })
    servers.push(server)
    const model: ModelSpec = {
      name: 'navskills',
      provider: 'fixture',
      protocol: 'openai',
      strategy: 'driver-navigator',
      model: 'fx/navskills',
      script,
      context_window: 32_768,
      concurrency: 1,
      timeout_seconds: 30,
      generation: {},
    }
    const parsed = parseGoal(
      '# Goal: Print a product\n\nMultiply 6 by 7 and print the product; a reviewer checks the printed product.\n',
      path.join(ROOT, 'benchmarks/tutorial/product.GOAL.md'),
    )
    if (!parsed.ok) throw parsed.error
    const settings = {
      ...resolveSettings({ skillsDir }, ROOT, {}),
      runId: 'loop-navskills',
      resultsDir: path.join(dir, 'results'),
    }
    const outcome = await trial({
      goal: parsed.goal,
      model,
      condition: { name: 'skills_on_demand', skills: 'select', delivery: 'on-demand' },
      settings,
      fixtureUrl: server.url,
    })
    expect(outcome.record).toMatchObject({
      status: 'ok',
      loop: { skillsRead: ['product-helper', 'product-helper/references/table.md'] },
    })
    expect(outcome.record.prompt?.skills.map((s) => [s.name, s.role])).toEqual([
      ['product-helper', 'driver'],
      ['product-review', 'navigator'],
    ])
    const systemOf = (role: string) =>
      server.requests.map((r) => String(r.messages[0]?.content)).filter((content) => content.startsWith(role))
    expect(systemOf(NAV).length).toBeGreaterThan(0)
    for (const system of systemOf(NAV)) expect(system).toContain('REVIEW-NOTE')
    for (const system of systemOf(DRV)) {
      expect(system).not.toContain('REVIEW-NOTE')
      expect(system).not.toContain('product-review')
      expect(system).toContain('- product-helper: Multiplying numbers in Python. Use whenever')
      expect(system).toContain('(files: references/table.md, 1 KB)')
    }
    // the driver's whole conversation: the file it read, never the navigator's skill
    const lastDriver = server.requests.filter((r) => String(r.messages[0]?.content).startsWith(DRV)).at(-1)!
    const conversation = JSON.stringify(lastDriver.messages)
    expect(conversation).toContain('HELPER-FILE: 6 times 7 is 42.')
    expect(conversation).toContain('This skill has further files: references/table.md')
    expect(conversation).not.toContain('REVIEW-NOTE')
    expect(conversation).toContain(
      'error: skill \\"product-helper\\" has no file \\"../../navigator/product-review/SKILL.md\\"',
    )
  })
})
