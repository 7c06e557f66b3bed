import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ModelSpec } from '../src/harness/config/models.ts'
import { startBroker, withSlot, type Broker } from '../src/harness/models/broker.ts'
import { providerOf } from '../src/harness/models/providers/index.ts'

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
    broker = await startBroker()
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
    expect(broker.stats()[providerKey(model(2))]).toEqual({ active: 0, waiting: 0, peak: 2 })
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
})
