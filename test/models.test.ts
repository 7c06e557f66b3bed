import { writeFileSync } from 'node:fs'
import path from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigError, loadModels, type ModelSpec } from '../src/harness/config/models.ts'
import type { RetryPolicy } from '../src/harness/config/limits.ts'
import { ModelClient, retryDelayMs } from '../src/harness/models/client.ts'
import { loadFixtureScript, startFixtureServer, type FixtureServer } from '../src/harness/models/fixture-server.ts'
import {
  ModelMismatchError,
  ProviderError,
  sameModelId as sameModel,
  type ChatMessage,
} from '../src/harness/models/types.ts'
import { extractScript } from '../src/harness/trial/strategies/extract.ts'
import { ROOT, tempDir } from './helpers.ts'

const dir = tempDir('sd-models-')

/** One call through the model client (no cache, no broker), as trials and the judge make them. */
const chat = (
  model: ModelSpec,
  messages: ChatMessage[],
  options: { baseUrl?: string; retry?: Partial<RetryPolicy>; env?: NodeJS.ProcessEnv } = {},
) =>
  new ModelClient({
    cache: { mode: 'off', dir },
    ...(options.baseUrl ? { fixtureUrl: options.baseUrl } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.env ? { env: options.env } : {}),
  }).complete(model, { messages })

/** A fixture model spec with the schema's defaults; tests override what they exercise. */
const fixtureSpec = (
  fields: { model: string; script: string } & Partial<Extract<ModelSpec, { provider: 'fixture' }>>,
): ModelSpec => ({
  name: 'fx',
  provider: 'fixture',
  protocol: 'openai',
  context_window: 8192,
  concurrency: 1,
  timeout_seconds: 10,
  generation: {},
  ...fields,
})

describe('models.yaml', () => {
  test('the shipped models.yaml loads: the embedded default, the study lineup and the fixtures', () => {
    const models = loadModels(path.join(ROOT, 'models.yaml'))
    expect(models.map((m) => `${m.name}:${m.provider}`)).toEqual([
      'smollm2-135m:embedded',
      'ministral-14b:ollama',
      'rnj-8b:ollama',
      'gpt-oss-20b:ollama',
      'gemma-31b:ollama',
      'kimi-k2.6:openai',
      'fixture-oracle:fixture',
      'fixture-agent:fixture',
      'fixture-broken:fixture',
    ])
    expect(models.find((m) => m.name === 'ministral-14b')).toMatchObject({
      model: 'ministral-3:14b-cloud',
      params: 14e9,
      host: 'http://127.0.0.1:11434',
    })
    const oracle = models.find((m) => m.name === 'fixture-oracle') as Extract<ModelSpec, { provider: 'fixture' }>
    expect(oracle.script).toBe(path.join(ROOT, 'benchmarks/fixtures/oracle.yaml'))
    expect(oracle).toMatchObject({ context_window: 8192, concurrency: 1, generation: {} })
  })

  test.each([
    [
      'a duplicate name',
      'models:\n  - { name: a, provider: fixture, model: m, script: s.yaml }\n  - { name: a, provider: fixture, model: m, script: s.yaml }\n',
      /:3: models\.1\.name: duplicate model name "a"/,
    ],
    [
      'an unknown provider',
      'models:\n  - name: a\n    provider: anthropic\n    model: m\n',
      /:3: models\.0\.provider: /,
    ],
    [
      'a key instead of an env var name',
      'models:\n  - name: a\n    provider: openai\n    model: m\n    base_url: http://127.0.0.1:1/v1\n    api_key_env: sk-123\n',
      /:6: models\.0\.api_key_env: the NAME of an environment variable/,
    ],
    [
      'a bad parameter count',
      'models:\n  - name: a\n    provider: fixture\n    model: m\n    script: s.yaml\n    params: fourteen\n',
      /models\.0\.params/,
    ],
  ])('%s is a clear error naming file, line and field', (_name, text, pattern) => {
    const file = path.join(dir, `${_name.replace(/\W+/g, '-')}.yaml`)
    writeFileSync(file, text)
    expect(() => loadModels(file)).toThrow(ConfigError)
    expect(() => loadModels(file)).toThrow(pattern)
    expect(() => loadModels(file)).toThrow(file)
  })

  test('parameter counts accept "14B" and "135M"', () => {
    const file = path.join(dir, 'params.yaml')
    writeFileSync(
      file,
      'models:\n  - { name: a, provider: fixture, model: m, script: s.yaml, params: 14B }\n  - { name: b, provider: fixture, model: m, script: s.yaml, params: 135M }\n',
    )
    expect(loadModels(file).map((m) => m.params)).toEqual([14e9, 135e6])
  })
})

describe('the fixture provider (OpenAI wire protocol on loopback)', () => {
  let server: FixtureServer
  const script = path.join(dir, 'script.yaml')
  const notebook = path.join(dir, 'nb.py')
  const fixtureModel = (model: string): ModelSpec => fixtureSpec({ model, script, generation: { temperature: 0 } })

  beforeAll(async () => {
    writeFileSync(notebook, '# %%\nprint("hello")\n')
    writeFileSync(
      script,
      [
        'replies:',
        '  - when: { contains: "power spectra" }',
        '    notebook: nb.py',
        '  - when: { contains: "impostor" }',
        '    text: "hi"',
        '    respond_as: some-other-model',
        '  - text: "I cannot help."',
      ].join('\n'),
    )
    server = await startFixtureServer({ 'fixture/a': loadFixtureScript(script) })
  })
  afterAll(() => server.close())

  test('answers the real openai client with the scripted notebook, usage and model id', async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'x' })
    const response = await client.chat.completions.create({
      model: 'fixture/a',
      messages: [{ role: 'user', content: 'compute power spectra please' }],
    })
    expect(response.model).toBe('fixture/a')
    expect(response.usage?.completion_tokens).toBeGreaterThan(0)
    const content = response.choices[0]?.message.content ?? ''
    expect(extractScript(content)).toEqual({ ok: true, script: '# %%\nprint("hello")\n' })
    expect(server.requests.at(-1)?.model).toBe('fixture/a')
  })

  test('chat() records provenance: requested and reported model, tokens, latency', async () => {
    const result = await chat(fixtureModel('fixture/a'), [{ role: 'user', content: 'anything' }], {
      baseUrl: server.url,
    })
    expect(result).toMatchObject({
      content: 'I cannot help.',
      requestedModel: 'fixture/a',
      reportedModel: 'fixture/a',
      finishReason: 'stop',
    })
    expect(result.tokensIn).toBeGreaterThan(0)
    expect(result.latencyMs).toBeGreaterThan(0)
    expect(server.requests.at(-1)?.body.temperature).toBe(0)
  })

  test('a response from a different model is a hard error', async () => {
    await expect(
      chat(fixtureModel('fixture/a'), [{ role: 'user', content: 'impostor' }], { baseUrl: server.url }),
    ).rejects.toThrow(ModelMismatchError)
  })

  test('an unknown model is a provider error naming the model', async () => {
    await expect(
      chat(fixtureModel('fixture/none'), [{ role: 'user', content: 'x' }], { baseUrl: server.url }),
    ).rejects.toThrow(/fixture\/none.*404/)
  })

  test('an unreachable server is a provider error after bounded retries, not a hang', async () => {
    const closed = await startFixtureServer({})
    await closed.close()
    const started = Date.now()
    await expect(
      chat(fixtureModel('fixture/a'), [{ role: 'user', content: 'x' }], {
        baseUrl: closed.url,
        retry: { baseDelayMs: 20 },
      }),
    ).rejects.toThrow(/gave up after 4 attempts/)
    expect(Date.now() - started).toBeLessThan(60_000) // bounded, not a hang (generous: loaded machines)
  })

  test('a missing API key variable is named in the error', async () => {
    const model: ModelSpec = {
      name: 'hosted',
      provider: 'openai',
      model: 'm',
      base_url: 'http://127.0.0.1:9/v1',
      api_key_env: 'SKILLDELTA_TEST_KEY',
      context_window: 8192,
      concurrency: 1,
      timeout_seconds: 5,
      generation: {},
    }
    await expect(chat(model, [{ role: 'user', content: 'x' }], { env: {} })).rejects.toThrow(
      /SKILLDELTA_TEST_KEY .*not set/,
    )
  })

  test('dated snapshots count as the same model; other ids do not', () => {
    expect(sameModel('gpt-4o', 'gpt-4o-2024-08-06')).toBe(true)
    expect(sameModel('ministral-3:14b-cloud', 'ministral-3:14b-cloud')).toBe(true)
    expect(sameModel('ministral-3:14b', 'qwen3:32b')).toBe(false)
  })
})

describe('finding the notebook in a reply', () => {
  test.each([
    [
      'a fenced python block with cells',
      'Sure!\n```python\n# %%\nx = 1\n```\nDone.',
      { ok: true, script: '# %%\nx = 1\n' },
    ],
    [
      'the cell-marked block among several',
      '```python\npip install tvb\n```\n```python\n# %%\nimport tvb\n# %%\nx=1\n```',
      { ok: true, script: '# %%\nimport tvb\n# %%\nx=1\n' },
    ],
    ['a bare percent script', '# %%\nx = 1\n', { ok: true, script: '# %%\nx = 1\n' }],
    ['prose only', 'I cannot run code.', { ok: false, reason: expect.stringContaining('no ```python code block') }],
    ['an empty reply', '   ', { ok: false, reason: 'the model returned an empty reply' }],
  ])('%s', (_name, reply, expected) => {
    expect(extractScript(reply)).toEqual(expected)
  })
})

describe('faults: retries, Retry-After, timeouts, broken bodies — over both wire protocols', () => {
  const script = path.join(dir, 'faults.yaml')
  let server: FixtureServer
  const model = (protocol: 'openai' | 'ollama', timeout_seconds = 10): ModelSpec =>
    fixtureSpec({ model: 'fixture/faults', script, protocol, timeout_seconds })
  const ask = (protocol: 'openai' | 'ollama', content: string, retry = {}, timeout = 10) =>
    chat(model(protocol, timeout), [{ role: 'user', content }], {
      baseUrl: server.url,
      retry: { baseDelayMs: 20, ...retry },
    })

  beforeAll(async () => {
    writeFileSync(
      script,
      [
        'replies:',
        '  - { when: { contains: rate-openai }, text: ok, fault: { status: 429, retry_after: 0.3, times: 2 } }',
        '  - { when: { contains: rate-ollama }, text: ok, fault: { status: 429, times: 2 } }',
        '  - { when: { contains: flaky }, text: ok, fault: { status: 500, times: 1 } }',
        '  - { when: { contains: down }, text: never, fault: { status: 503 } }',
        '  - { when: { contains: slow }, text: late, fault: { delay_ms: 3000 } }',
        '  - { when: { contains: truncated }, text: half, fault: { truncate: true } }',
        '  - { when: { contains: bad-request }, text: no, fault: { status: 400 } }',
        '  - text: plain',
      ].join('\n'),
    )
    server = await startFixtureServer({ 'fixture/faults': loadFixtureScript(script) })
  })
  afterAll(() => server.close())

  test('429 with Retry-After is retried after the delay the provider asked for', async () => {
    const started = Date.now()
    const result = await ask('openai', 'rate-openai')
    expect(result).toMatchObject({ content: 'ok', attempts: 3 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(600)
  })

  test.each(['openai', 'ollama'] as const)(
    '%s: a passing 5xx is retried; a persistent one gives up with the attempts counted',
    async (protocol) => {
      expect(await ask(protocol, protocol === 'openai' ? 'flaky' : 'rate-ollama')).toMatchObject({ content: 'ok' })
      await expect(ask(protocol, 'down', { maxAttempts: 3 })).rejects.toThrow(/503.*gave up after 3 attempts/)
    },
  )

  test('a client error (400) is not retried', async () => {
    const before = server.requests.length
    await expect(ask('openai', 'bad-request')).rejects.toThrow(ProviderError)
    expect(server.requests.length - before).toBe(1)
  })

  test('a response slower than the per-call timeout is a provider error', async () => {
    await expect(ask('openai', 'slow', { maxAttempts: 1 }, 1)).rejects.toThrow(ProviderError)
    await expect(ask('ollama', 'slow', { maxAttempts: 1 }, 1)).rejects.toThrow(ProviderError)
  })

  test('a truncated JSON body is a provider error, never a reply', async () => {
    await expect(ask('openai', 'truncated', { maxAttempts: 1 })).rejects.toThrow(ProviderError)
    await expect(ask('ollama', 'truncated', { maxAttempts: 1 })).rejects.toThrow(ProviderError)
  })

  test('the Ollama protocol reports model id and token counts through the real ollama client', async () => {
    const result = await ask('ollama', 'hello')
    expect(result).toMatchObject({
      content: 'plain',
      reportedModel: 'fixture/faults',
      finishReason: 'stop',
      attempts: 1,
    })
    expect(result.tokensIn).toBeGreaterThan(0)
    expect(server.requests.at(-1)?.body).toMatchObject({ stream: false, options: { num_ctx: 8192 } })
  })

  test('an unknown Ollama model is a clear, non-retried error', async () => {
    const unknown: ModelSpec = { ...model('ollama'), model: 'nope:1b' }
    const before = server.requests.length
    await expect(chat(unknown, [{ role: 'user', content: 'x' }], { baseUrl: server.url })).rejects.toThrow(
      /nope:1b.*not found/,
    )
    expect(server.requests.length - before).toBe(1)
  })

  test('backoff grows exponentially with full jitter, and Retry-After wins', () => {
    const policy = { maxAttempts: 5, maxTotalMs: 60_000, baseDelayMs: 1_000, maxDelayMs: 8_000 }
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, policy, undefined, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 8000,
    ])
    expect(retryDelayMs(3, policy, undefined, () => 0)).toBe(0)
    expect(retryDelayMs(1, policy, 2.5)).toBe(2500)
    expect(retryDelayMs(1, policy, 60)).toBe(8000)
  })
})
