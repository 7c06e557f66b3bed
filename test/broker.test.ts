import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ModelSpec } from '../src/harness/config/models.ts'
import { acquireSlot, startBroker, withSlot, type Broker } from '../src/harness/models/broker.ts'
import { ModelClient } from '../src/harness/models/client.ts'
import { loadFixtureScript, startFixtureServer, type FixtureServer } from '../src/harness/models/fixture-server.ts'
import { providerOf } from '../src/harness/models/providers/index.ts'
import { tempDir } from './helpers.ts'

const providerKey = (m: ModelSpec): string => providerOf(m).concurrencyKey(m)
const slot = (m: ModelSpec, leaseMs: number) => ({ key: providerKey(m), limit: m.concurrency, leaseMs })

const model = (concurrency: number, name = 'm'): ModelSpec => ({
  name,
  provider: 'ollama',
  host: 'http://127.0.0.1:11434',
  model: 'x',
  concurrency,
  context_window: 8192,
  timeout_seconds: 10,
  generation: {},
})

describe('the concurrency broker', () => {
  let broker: Broker
  beforeAll(async () => {
    broker = await startBroker({ holdMs: 0 }) // the hold has its own test
  })
  afterAll(() => broker.close())

  test('never lets more than `concurrency` calls run at once for one provider', async () => {
    let running = 0
    let peak = 0
    const work = async () => {
      running += 1
      peak = Math.max(peak, running)
      await new Promise((resolve) => setTimeout(resolve, 100))
      running -= 1
    }
    await Promise.all(Array.from({ length: 6 }, () => withSlot(broker.url, slot(model(2), 10_000), work)))
    expect(peak).toBe(2)
    expect(broker.stats()[providerKey(model(2))]).toMatchObject({ active: 0, waiting: 0, peak: 2, limit: 2 })
  })

  test('models on the same endpoint share its limit; other endpoints do not wait', async () => {
    expect(providerKey(model(1, 'a'))).toBe(providerKey(model(1, 'b')))
    expect(providerKey({ ...model(1), host: 'http://127.0.0.1:1' } as ModelSpec)).not.toBe(providerKey(model(1)))
  })

  test('a lease that is never released is reclaimed', async () => {
    const key = { key: 'leaky', limit: 1, leaseMs: 300 }
    const first = await fetch(`${broker.url}/acquire`, { method: 'POST', body: JSON.stringify(key) })
    expect(((await first.json()) as { lease: string }).lease).toBeTruthy() // and never released: a crashed worker
    const started = Date.now()
    const second = await fetch(`${broker.url}/acquire`, { method: 'POST', body: JSON.stringify(key) })
    expect(((await second.json()) as { lease: string }).lease).toBeTruthy()
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
  })

  test('the limit holds across separate OS processes', async () => {
    // three processes each take a slot (limit 1), hold it 250 ms and print when they held it
    const script = `
      const r = await fetch(process.argv[1] + '/acquire', { method: 'POST', body: JSON.stringify({ key: 'xproc', limit: 1, leaseMs: 10000 }) })
      const { lease } = await r.json()
      const start = Date.now(); await new Promise((ok) => setTimeout(ok, 250)); const end = Date.now()
      await fetch(process.argv[1] + '/release', { method: 'POST', body: JSON.stringify({ lease }) })
      console.log(JSON.stringify([start, end]))`
    const runs = await Promise.all(
      [1, 2, 3].map(() => execa('node', ['--input-type=module', '-e', script, broker.url])),
    )
    const spans = runs.map((r) => JSON.parse(r.stdout) as [number, number]).sort((a, b) => a[0] - b[0])
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1])
  })

  test('an unreachable broker is an infrastructure error, not a crash', async () => {
    await expect(withSlot('http://127.0.0.1:9', slot(model(1), 1000), async () => 'never')).rejects.toThrow(
      /concurrency broker/,
    )
  })

  test('throttling cuts the limit once per window and below the calls a refusal saw; successes in a full window raise it again, never outside [1, limit]', async () => {
    const key = { key: 'aimd', limit: 8, leaseMs: 10_000 }
    const limit = () => broker.stats().aimd!.limit
    // eight calls in flight, two refused: one congestion event, one cut (8 → 5.6)
    const burst = await Promise.all(Array.from({ length: 8 }, () => acquireSlot(broker.url, key)))
    for (const held of burst.slice(0, 2)) await held.release({ outcome: 'throttled' })
    expect(limit()).toBe(5)
    // three more refused: the last with four calls in flight, itself included, so the provider allows 3
    for (const held of burst.slice(2, 5)) await held.release({ outcome: 'throttled' })
    expect(limit()).toBe(3)
    for (const held of burst.slice(5)) await held.release({ outcome: 'ok' })
    // calls sent after the cut that are throttled again cut again, down to 1 and no further
    for (let i = 0; i < 8; i++) await (await acquireSlot(broker.url, key)).release({ outcome: 'throttled' })
    expect(limit()).toBe(1)
    // additive increase: about one more slot per window of calls that answered, up to the configured limit
    for (let i = 0; i < 3; i++) await (await acquireSlot(broker.url, key)).release({ outcome: 'ok' })
    expect(limit()).toBe(2)
    // a limit not in use does not grow: one call at a time says nothing about room for more
    for (let i = 0; i < 100; i++) await (await acquireSlot(broker.url, key)).release({ outcome: 'ok' })
    expect(limit()).toBe(2)
    // windows that fill the limit raise it, up to the configured limit and no further
    for (let window = 0; window < 40; window++) {
      const held = await Promise.all(Array.from({ length: limit() }, () => acquireSlot(broker.url, key)))
      for (const slot of held) await slot.release({ outcome: 'ok' })
    }
    expect(limit()).toBe(8)
    expect(broker.stats().aimd).toMatchObject({ throttled: 13, active: 0 })
  })

  test('after a refusal the limit holds below the level refused for `holdMs`, then probes again', async () => {
    const key = { key: 'held', limit: 6, leaseMs: 10_000 }
    const windows = async (b: Broker, count: number) => {
      for (let window = 0; window < count; window++) {
        const size = b.stats().held!.limit
        const held = await Promise.all(Array.from({ length: size }, () => acquireSlot(b.url, key)))
        for (const slot of held) await slot.release({ outcome: 'ok' })
      }
    }
    for (const holdMs of [60_000, 1]) {
      const b = await startBroker({ holdMs })
      try {
        // three in flight, one refused: the provider allows two
        const three = await Promise.all(Array.from({ length: 3 }, () => acquireSlot(b.url, key)))
        await three[0]!.release({ outcome: 'throttled' })
        for (const slot of three.slice(1)) await slot.release({ outcome: 'ok' })
        expect(b.stats().held!.limit).toBe(2)
        await new Promise((resolve) => setTimeout(resolve, 5))
        await windows(b, 30)
        // held: full windows of successes do not probe the level that was refused; expired: they do
        if (holdMs > 1) expect(b.stats().held!.limit).toBe(2)
        else expect(b.stats().held!.limit).toBe(6)
      } finally {
        await b.close()
      }
    }
  })

  test('a Retry-After holds new calls back that long; a failure that is not throttling leaves the limit', async () => {
    const key = { key: 'pause', limit: 3, leaseMs: 10_000 }
    await (await acquireSlot(broker.url, key)).release({ outcome: 'failed' })
    expect(broker.stats().pause!.limit).toBe(3)
    await (await acquireSlot(broker.url, key)).release({ outcome: 'throttled', retryAfterSeconds: 0.5 })
    const started = Date.now()
    await (await acquireSlot(broker.url, key)).release({ outcome: 'ok' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(400)
  })

  test("trial admission follows the provider's current limit plus the work that runs alongside", async () => {
    const calls = { key: 'provider-a', limit: 6, leaseMs: 10_000 }
    const tickets = { key: 'trials-a', limit: 8, leaseMs: 10_000, follows: { key: 'provider-a', extra: 2 } }
    const first = await Promise.all(Array.from({ length: 8 }, () => acquireSlot(broker.url, tickets)))
    expect(broker.stats()['trials-a']).toMatchObject({ active: 8 })
    for (const held of first) await held.release()
    // the provider refuses one of five calls: 6 → 4 (floor of 4.2; fewer than the five in flight), so
    // 4 + 2 trials are admitted, the others wait
    const five = await Promise.all(Array.from({ length: 5 }, () => acquireSlot(broker.url, calls)))
    await five[0]!.release({ outcome: 'throttled' })
    for (const held of five.slice(1)) await held.release({ outcome: 'ok' })
    const waiting = Array.from({ length: 8 }, () => acquireSlot(broker.url, tickets))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(broker.stats()['trials-a']).toMatchObject({ active: 6, waiting: 2 })
    for (const held of await Promise.all(waiting.slice(0, 6))) await held.release()
    for (const held of await Promise.all(waiting.slice(6))) await held.release()
  })
})

describe('a provider that allows fewer calls than configured', () => {
  const dir = tempDir('sd-broker-')
  let broker: Broker
  let server: FixtureServer
  const script = path.join(dir, 'capped.yaml')
  const capped: ModelSpec = {
    name: 'capped',
    provider: 'fixture',
    protocol: 'openai',
    model: 'fixture/capped',
    script,
    context_window: 8192,
    concurrency: 6, // three times what the server allows
    timeout_seconds: 10,
    generation: {},
  }
  beforeAll(async () => {
    writeFileSync(script, 'replies:\n  - text: done\n')
    broker = await startBroker()
    server = await startFixtureServer(
      { 'fixture/capped': loadFixtureScript(script) },
      { capacity: { concurrent: 2, latencyMs: 300, retryAfterSeconds: 0.2 } },
    )
  })
  afterAll(async () => {
    await broker.close()
    await server.close()
  })

  test('every call is answered (none lost to 429), and the shared limit settles near the real cap', async () => {
    // four workers' clients, one broker: the limit is shared, as it is across Vitest workers
    const clients = Array.from(
      { length: 4 },
      () =>
        new ModelClient({
          brokerUrl: broker.url,
          fixtureUrl: server.url,
          cache: { mode: 'off', dir },
          retry: { baseDelayMs: 50, maxAttempts: 2 },
        }),
    )
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        clients[i % 4]!.complete(capped, { messages: [{ role: 'user', content: `call ${i}` }] }, { sample: i }),
      ),
    )
    expect(replies.every((r) => r.content === 'done')).toBe(true)
    const load = server.load()
    expect(load.served).toBe(24)
    expect(load.peakInFlight).toBe(2)
    const stats = broker.stats()[providerKey(capped)]!
    expect(stats.throttled).toBe(load.throttled)
    expect(stats.limit).toBeLessThanOrEqual(3)
    // with a fixed limit of 6 every wave would send 4 calls too many; adapting keeps the 429s few
    expect(load.throttled).toBeLessThan(24)
  })

  test('a rate limit waits as long as the caller may wait, not a number of attempts', async () => {
    const rules = path.join(dir, 'limited.yaml')
    writeFileSync(
      rules,
      [
        'replies:',
        '  - { when: { contains: patient }, text: finally, fault: { status: 429, retry_after: 0.05, times: 9 } }',
        '  - { when: { contains: forever }, text: never, fault: { status: 429, retry_after: 0.05 } }',
      ].join('\n'),
    )
    const limited = await startFixtureServer({ 'fixture/limited': loadFixtureScript(rules) })
    try {
      const spec: ModelSpec = { ...capped, model: 'fixture/limited', script: rules, concurrency: 1 }
      const client = (rateLimitedMs = 60_000) =>
        new ModelClient({
          fixtureUrl: limited.url,
          cache: { mode: 'off', dir },
          retry: { baseDelayMs: 20, maxAttempts: 4, rateLimitedMs },
        })
      const ask = (content: string, c = client(), signal?: AbortSignal) =>
        c.complete(spec, { messages: [{ role: 'user', content }] }, signal ? { signal } : {})
      // ten attempts, where failures get four
      expect(await ask('patient')).toMatchObject({ content: 'finally', attempts: 10 })
      // bounded by the caller's deadline (the trial's) ...
      await expect(ask('forever', client(), AbortSignal.timeout(500))).rejects.toThrow(/abort/i)
      // ... and by the policy when there is none
      await expect(ask('forever', client(400))).rejects.toThrow(/429.*gave up after \d+ attempts/)
    } finally {
      await limited.close()
    }
  })
})
