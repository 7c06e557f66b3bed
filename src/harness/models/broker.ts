import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { ProviderError } from './types.ts'

/**
 * Per-provider concurrency across ALL Vitest workers and projects. Vitest's maxConcurrency is per
 * file, and files run in separate worker processes; so a counting semaphore lives in the main
 * process (started once from globalSetup) and workers ask it for a slot over loopback HTTP.
 * A slot held longer than its lease (a crashed worker never releases) is reclaimed.
 */

const AcquireSchema = z
  .object({ key: z.string().min(1), limit: z.number().int().positive(), leaseMs: z.number().int().positive() })
  .strict()
const ReleaseSchema = z.object({ lease: z.string().min(1) }).strict()

interface Waiter {
  limit: number
  leaseMs: number
  grant: (lease: string) => void
}

interface Pool {
  active: Map<string, NodeJS.Timeout>
  queue: Waiter[]
}

export interface Broker {
  url: string
  /** Slots in use and waiting, per key (for tests and progress). */
  stats(): Record<string, { active: number; waiting: number; peak: number }>
  close(): Promise<void>
}

export async function startBroker(): Promise<Broker> {
  const pools = new Map<string, Pool>()
  const peaks = new Map<string, number>()
  const owners = new Map<string, string>() // lease -> key

  const pool = (key: string): Pool => {
    let p = pools.get(key)
    if (!p) pools.set(key, (p = { active: new Map(), queue: [] }))
    return p
  }
  const release = (lease: string): void => {
    const key = owners.get(lease)
    if (!key) return
    owners.delete(lease)
    const p = pool(key)
    clearTimeout(p.active.get(lease))
    p.active.delete(lease)
    pump(key)
  }
  const pump = (key: string): void => {
    const p = pool(key)
    while (p.queue.length && p.active.size < (p.queue[0]?.limit ?? 1)) {
      const waiter = p.queue.shift()!
      const lease = randomUUID()
      owners.set(lease, key)
      p.active.set(lease, setTimeout(() => release(lease), waiter.leaseMs).unref())
      peaks.set(key, Math.max(peaks.get(key) ?? 0, p.active.size))
      waiter.grant(lease)
    }
  }

  const readJson = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  }
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  const server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'POST' && req.url === '/acquire') {
        const { key, limit, leaseMs } = AcquireSchema.parse(await readJson(req))
        const waiter: Waiter = { limit, leaseMs, grant: (lease) => reply(res, 200, { lease }) }
        pool(key).queue.push(waiter)
        // a worker that gave up (timeout, abort) must not be granted a slot it will never release
        res.on('close', () => {
          const p = pool(key)
          const index = p.queue.indexOf(waiter)
          if (index >= 0) p.queue.splice(index, 1)
        })
        return pump(key)
      }
      if (req.method === 'POST' && req.url === '/release') {
        release(ReleaseSchema.parse(await readJson(req)).lease)
        return reply(res, 200, { ok: true })
      }
      reply(res, 404, { error: 'no such route' })
    })().catch((error: unknown) => reply(res, 400, { error: String(error) }))
  })
  server.requestTimeout = 0 // acquire is a long poll
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () =>
      Object.fromEntries(
        [...pools].map(([key, p]) => [
          key,
          { active: p.active.size, waiting: p.queue.length, peak: peaks.get(key) ?? 0 },
        ]),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pools.values()) for (const timer of p.active.values()) clearTimeout(timer)
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** One slot request: calls with the same key share `limit`; a slot not released in `leaseMs` is reclaimed. */
interface SlotRequest {
  key: string
  limit: number
  leaseMs: number
}

/** Hold a provider slot for the duration of `work`. Without a broker (plain library use) it just runs. */
export async function withSlot<T>(
  brokerUrl: string | undefined,
  slot: SlotRequest,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (!brokerUrl) return work()
  let lease: string
  try {
    const response = await fetch(`${brokerUrl}/acquire`, {
      method: 'POST',
      body: JSON.stringify(slot),
      ...(signal ? { signal } : {}),
    })
    lease = z.object({ lease: z.string() }).parse(await response.json()).lease
  } catch (error) {
    if (signal?.aborted) throw error
    throw new ProviderError(
      `could not get a ${slot.key} slot from the concurrency broker: ${(error as Error).message}`,
      false,
      undefined,
      { cause: error },
    )
  }
  try {
    return await work()
  } finally {
    await fetch(`${brokerUrl}/release`, { method: 'POST', body: JSON.stringify({ lease }) }).catch(() => undefined)
  }
}
