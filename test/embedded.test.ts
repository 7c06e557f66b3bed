// The embedded model (SmolLM2-135M through node-llama-cpp) really generates, and its trials are
// recorded honestly. It cannot write TVB; nothing here asserts that it does.
import { copyFileSync, openSync, readFileSync, statSync, utimesSync, writeSync, closeSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadModels, type ModelSpec } from '../src/harness/config/models.ts'
import { resolveSettings } from '../src/harness/config/settings.ts'
import { parseGoal } from '../src/harness/goal/parse.ts'
import { digestNotebook } from '../src/harness/judge/digest.ts'
import { JudgeError, judgeNotebook } from '../src/harness/judge/judge.ts'
import { loadRubric } from '../src/harness/judge/rubric.ts'
import type { ChatMessage } from '../src/harness/models/types.ts'
import { ModelMismatchError } from '../src/harness/models/types.ts'
import { embeddedProvider } from '../src/harness/models/providers/embedded.ts'
import { DEFAULT_GGUF } from '../src/harness/config/paths.ts'
import { TrialRecordSchema } from '../src/harness/results/schema.ts'
import { ROOT, tempDir, testClient, trial } from './helpers.ts'

const chat = (model: ModelSpec, messages: ChatMessage[]) => testClient().complete(model, { messages })

const shipped = loadModels(path.join(ROOT, 'models.yaml')).find((m) => m.name === 'smollm2-135m') as Extract<
  ModelSpec,
  { provider: 'embedded' }
>
const small = (maxTokens: number, overrides: Partial<ModelSpec> = {}): ModelSpec =>
  ({ ...shipped, generation: { ...shipped.generation, max_tokens: maxTokens }, ...overrides }) as ModelSpec

describe('the embedded model', () => {
  test('generates real text in-process, with provenance and token counts', async () => {
    const result = await chat(small(40), [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Name three planets of the solar system.' },
    ])
    expect(result.reportedModel).toBe('SmolLM2-135M-Instruct.Q4_1')
    expect(result.content.trim().length).toBeGreaterThan(10)
    expect(result.tokensIn).toBeGreaterThan(10)
    expect(result.tokensOut).toBeGreaterThan(0)
    expect(result.tokensOut).toBeLessThanOrEqual(40)
  })

  test('its cache identity is the weights’ content: reinstalled alike it holds, other bytes change it', () => {
    const gguf = path.join(tempDir('sd-weights-'), path.basename(DEFAULT_GGUF))
    copyFileSync(DEFAULT_GGUF, gguf)
    const spec = small(1, { gguf }) as Extract<ModelSpec, { provider: 'embedded' }>
    const identity = () => JSON.stringify(embeddedProvider.identity(spec))
    const first = identity()
    // the same bytes installed again: a new modification time
    utimesSync(gguf, new Date(), new Date(Date.now() + 60_000))
    expect(identity()).toBe(first)
    // one byte different, same size, the old modification time put back
    const { atime, mtime } = statSync(gguf)
    const fd = openSync(gguf, 'r+')
    writeSync(fd, Buffer.from([readFileSync(gguf).at(-1)! ^ 0xff]), 0, 1, statSync(gguf).size - 1)
    closeSync(fd)
    utimesSync(gguf, atime, mtime)
    expect(identity()).not.toBe(first)
  })

  test('asking for one model and loading another is a mismatch, not a result', async () => {
    await expect(chat(small(1, { model: 'qwen3-8b' }), [{ role: 'user', content: 'hi' }])).rejects.toThrow(
      ModelMismatchError,
    )
  })

  test('a whole trial runs and is recorded honestly', async () => {
    const results = tempDir('sd-embedded-')
    const settings = { ...resolveSettings({}, ROOT, {}), runId: 'embedded-smoke', resultsDir: results }
    const file = path.join(ROOT, 'benchmarks/abstract/connectome_summary.GOAL.md')
    const parsed = parseGoal(readFileSync(file, 'utf8'), file)
    if (!parsed.ok) throw parsed.error
    const outcome = await trial({
      goal: parsed.goal,
      model: small(160),
      condition: { name: 'zero_shot', skills: 'none' },
      settings,
    })
    const record = TrialRecordSchema.parse(JSON.parse(readFileSync(path.join(outcome.dir, 'trial.json'), 'utf8')))
    expect(['ok', 'generation_failed', 'execution_failed']).toContain(record.status)
    expect(record.model).toMatchObject({
      provider: 'embedded',
      requested: 'SmolLM2-135M-Instruct.Q4_1',
      reported: 'SmolLM2-135M-Instruct.Q4_1',
    })
    expect(record.generation?.tokensOut).toBeGreaterThan(0)
    expect(readFileSync(path.join(outcome.dir, 'reply.md'), 'utf8').length).toBeGreaterThan(0)
    if (record.status === 'generation_failed') expect(record.error).toBeTruthy()
    if (record.status === 'execution_failed') expect(record.execution?.firstError).toBeTruthy()
  })

  test('as a judge, a JSON-schema grammar holds it to the judgement schema on the first attempt', async () => {
    const rubric = loadRubric(
      path.join(ROOT, 'benchmarks/judge/rubric.md'),
      path.join(ROOT, 'benchmarks/judge/domain-facts.md'),
    )
    const notebook = JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          id: 'a',
          cell_type: 'code',
          metadata: {},
          execution_count: 1,
          source: 'print(1 + 1)',
          outputs: [{ output_type: 'stream', name: 'stdout', text: '2\n' }],
        },
      ],
    })
    const digest = digestNotebook(
      notebook,
      [{ index: 0, cellType: 'code', status: 'ok', sourceExcerpt: 'print(1 + 1)' }],
      { maxChars: 4000 },
    )
    const outcome = await judgeNotebook({
      judge: small(400),
      rubric,
      task: '# Goal: add two numbers\nPrint 1 + 1.',
      digest,
      attempts: 1,
      client: testClient(),
    }).catch((error: unknown) => error)
    // what a 135M judge thinks is not evidence of anything; that its reply follows the schema is.
    // The grammar cannot make it echo the fence it was shown: then the reply parsed, and was refused.
    if (outcome instanceof JudgeError) {
      expect(outcome).toMatchObject({ kind: 'canary', attempts: 1 })
      return
    }
    const result = outcome as Awaited<ReturnType<typeof judgeNotebook>>
    expect(result.attempts).toBe(1)
    for (const score of Object.values(result.scores)) expect([1, 2, 3, 4, 5]).toContain(score)
    expect(result.mean).toBe(Object.values(result.scores).reduce((a, b) => a + b, 0) / 4)
  })
})
