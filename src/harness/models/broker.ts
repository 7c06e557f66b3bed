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
 *
 * The limit of a key adapts to what the provider really allows (AIMD, as TCP does): every call
 * that answered while the limit was in use raises it by 1/limit (one per window), a call throttled
 * (429, 503) cuts it to 70 % — once per window: calls sent before the last cut do not cut again —
 * and a Retry-After holds new calls back that long. A throttled call also measures the provider: a
 * refusal comes back at once, so it was refused with the N calls still in flight (itself included).
 * The limit drops to N − 1 at once and, for a while (`holdMs`, as CUBIC plateaus near its last loss),
 * does not grow past the lowest such level: a provider with a hard cap is probed once per hold, not
 * every few calls (each probe costs a refused call and the Retry-After pause of every new call).
 * The limit stays within [1, the configured limit], and every worker shares it. A key can follow
 * another's limit: trials are admitted per provider at its current limit plus the notebooks that can
 * run meanwhile, so a throttled provider admits fewer.
 */

/** The share of the limit kept when the provider throttles (TCP CUBIC's β). */
const DECREASE = 0.7
/** How long the limit stays below the level a provider last refused, before it probes again. */
const HOLD_MS = 20_000

export interface BrokerOptions {
  /** How long after a throttled call the limit stays below the level it measured (default 20 s). */
  holdMs?: number
}

const AcquireSchema = z
  .object({
    key: z.string().min(1),
    limit: z.number().int().positive(),
    leaseMs: z.number().int().positive(),
    follows: z
      .object({ key: z.string().min(1), extra: z.number().int().min(0) })
      .strict()
      .optional(),
  })
  .strict()
const ReleaseSchema = z
  .object({
    lease: z.string().min(1),
    outcome: z.enum(['ok', 'throttled', 'failed']).optional(),
    retryAfterSeconds: z.number().min(0).optional(),
  })
  .strict()

/** How a call that held a slot went: the broker adapts the key's limit from it. */
export type SlotOutcome = Omit<z.infer<typeof ReleaseSchema>, 'lease'>

interface Waiter {
  limit: number
  leaseMs: number
  follows?: { key: string; extra: number } | undefined
  grant: (lease: string) => void
}

interface Pool {
  active: Map<string, { timer: NodeJS.Timeout; grantedAt: number }>
  queue: Waiter[]
  /** The configured limit: the largest any caller of this key asked for. */
  ceiling: number
  /** The adaptive limit (fractional: additive increase adds 1/limit per call that answered). */
  current: number | undefined
  /** When the limit was last cut: throttled calls granted before it are the same congestion. */
  lastCut: number
  /** The limit does not grow past `level` before `until` (the provider refused more, lately). */
  hold: { level: number; until: number } | undefined
  /** No new grants before this (the provider's Retry-After). */
  pausedUntil: number
  resume?: NodeJS.Timeout | undefined
  peak: number
  granted: number
  throttled: number
}

export interface PoolStats {
  active: number
  waiting: number
  peak: number
  /** The limit in force now (the adaptive one; the configured one until the provider throttles). */
  limit: number
  /** Slots granted, and calls the provider throttled. */
  granted: number
  throttled: number
}

export interface Broker {
  url: string
  /** Slots in use and waiting, per key (for tests and progress). */
  stats(): Record<string, PoolStats>
  close(): Promise<void>
}

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const holdMs = options.holdMs ?? HOLD_MS
  const pools = new Map<string, Pool>()
  const owners = new Map<string, string>() // lease -> key
  const followers = new Map<string, Set<string>>() // key -> keys whose limit follows it

  const pool = (key: string): Pool => {
    let p = pools.get(key)
    if (!p) {
      const counts = { peak: 0, granted: 0, throttled: 0 }
      const adaptive = { current: undefined, lastCut: 0, hold: undefined, pausedUntil: 0 }
      p = { active: new Map(), queue: [], ceiling: 1, ...adaptive, ...counts }
      pools.set(key, p)
    }
    return p
  }
  /** How many slots the key may have out now, for a request that asks for at most `limit`. */
  const allowed = (key: string, limit: number, follows?: Waiter['follows']): number => {
    const own = Math.min(limit, Math.floor(pool(key).current ?? limit))
    if (!follows) return own
    const leader = pools.get(follows.key)
    const leading = leader?.current === undefined ? Infinity : Math.floor(leader.current) + follows.extra
    return Math.max(1, Math.min(own, leading))
  }
  const pump = (key: string): void => {
    const p = pool(key)
    const now = Date.now()
    if (p.pausedUntil > now) {
      clearTimeout(p.resume)
      p.resume = setTimeout(() => pump(key), p.pausedUntil - now).unref()
      return
    }
    while (p.queue.length) {
      const head = p.queue[0]!
      if (p.active.size >= allowed(key, head.limit, head.follows)) break
      p.queue.shift()
      const lease = randomUUID()
      owners.set(lease, key)
      p.active.set(lease, { timer: setTimeout(() => release(lease), head.leaseMs).unref(), grantedAt: now })
      p.peak = Math.max(p.peak, p.active.size)
      p.granted += 1
      head.grant(lease)
    }
  }
  /** A key's limit changed: its followers may admit more (or fewer). */
  const adapted = (key: string): void => {
    for (const follower of followers.get(key) ?? []) pump(follower)
  }
  const release = (lease: string, outcome: SlotOutcome = {}): void => {
    const key = owners.get(lease)
    if (!key) return
    owners.delete(lease)
    const p = pool(key)
    const held = p.active.get(lease)
    const inFlight = p.active.size // this call included
    clearTimeout(held?.timer)
    p.active.delete(lease)
    if (outcome.outcome === 'ok' && p.current !== undefined) {
      // only a limit in use grows (as TCP's window validation, RFC 7661): calls that trickle in below
      // it, at the end of a run, say nothing about the provider's room
      if (inFlight >= Math.floor(p.current)) {
        const top = p.hold && p.hold.until > Date.now() ? p.hold.level : p.ceiling
        // growth stops at the held level; a limit already above it is not cut by a success
        p.current = Math.max(p.current, Math.min(p.current + 1 / Math.max(1, p.current), p.ceiling, top))
        adapted(key)
      }
    } else if (outcome.outcome === 'throttled') {
      const now = Date.now()
      p.throttled += 1
      let current = p.current ?? p.ceiling
      if (!held || held.grantedAt >= p.lastCut) {
        current *= DECREASE
        p.lastCut = now
      }
      // a refusal comes back at once: the calls still in flight were in flight when it was refused, so
      // fewer than those and this one is all the provider allows now
      current = Math.min(current, inFlight - 1)
      p.current = Math.max(1, current)
      const level = Math.max(1, Math.min(inFlight - 1, p.hold && p.hold.until > now ? p.hold.level : Infinity))
      if (holdMs > 0) p.hold = { level, until: now + holdMs }
      if (outcome.retryAfterSeconds) p.pausedUntil = Math.max(p.pausedUntil, now + outcome.retryAfterSeconds * 1000)
      adapted(key)
    }
    pump(key)
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
        const { key, limit, leaseMs, follows } = AcquireSchema.parse(await readJson(req))
        pool(key).ceiling = Math.max(pool(key).ceiling, limit)
        if (follows) {
          const set = followers.get(follows.key) ?? new Set<string>()
          followers.set(follows.key, set.add(key))
        }
        const waiter: Waiter = { limit, leaseMs, follows, grant: (lease) => reply(res, 200, { lease }) }
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
        const { lease, ...outcome } = ReleaseSchema.parse(await readJson(req))
        release(lease, outcome)
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
          {
            active: p.active.size,
            waiting: p.queue.length,
            peak: p.peak,
            limit: Math.floor(p.current ?? p.ceiling),
            granted: p.granted,
            throttled: p.throttled,
          },
        ]),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pools.values()) {
          clearTimeout(p.resume)
          for (const { timer } of p.active.values()) clearTimeout(timer)
        }
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * One slot request: calls with the same key share `limit` (adapted to the provider); a slot not
 * released in `leaseMs` is reclaimed; `follows` caps the key at another key's current limit + extra.
 */
export interface SlotRequest {
  key: string
  limit: number
  leaseMs: number
  follows?: { key: string; extra: number }
}

/** A slot held from the broker: release it once, saying how the call went. */
export interface Slot {
  release(outcome?: SlotOutcome): Promise<void>
}

const NO_BROKER: Slot = { release: async () => undefined }

/** Wait for a slot. Without a broker (plain library use) there is nothing to wait for. */
export async function acquireSlot(
  brokerUrl: string | undefined,
  slot: SlotRequest,
  signal?: AbortSignal,
): Promise<Slot> {
  if (!brokerUrl) return NO_BROKER
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
  let released = false
  return {
    release: async (outcome = {}) => {
      if (released) return
      released = true
      await fetch(`${brokerUrl}/release`, { method: 'POST', body: JSON.stringify({ lease, ...outcome }) }).catch(
        () => undefined,
      )
    },
  }
}

/** Hold a slot for the duration of `work`. Without a broker (plain library use) it just runs. */
export async function withSlot<T>(
  brokerUrl: string | undefined,
  slot: SlotRequest,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const held = await acquireSlot(brokerUrl, slot, signal)
  try {
    return await work()
  } finally {
    await held.release()
  }
}
