/**
 * The Redis store's local revocation view (internal): a {@link RevocationMirror} fed by the
 * store's pub/sub channel on a dedicated subscriber connection, and rebuilt with `SCAN` (never
 * `KEYS`) whenever that connection becomes ready, since messages published while it was down are
 * lost. The subscription is re-established before `ready`, so nothing falls between the two.
 *
 * A connection can also die silently (half-open TCP: no reset, no error). Each instance therefore
 * publishes a heartbeat on a channel of its own and listens for it on its subscriber: when three
 * in a row are missed the view turns unavailable, and the first heartbeat heard again triggers a
 * rebuild.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { cutOffInstant } from '../../core/issue.js'
import type { RevocationView } from '../types.js'
import { storeUnavailable, withinDeadline } from './errors.js'
import type { RevocationMirror } from './mirror.js'
import type { RedisLink } from './redis-link.js'
import { REPLACE_EPOCH, runScript } from './redis-scripts.js'

/** What the view needs from the store. */
export interface RedisViewOptions {
  /** The command connection (rebuild, heartbeat) and the dedicated subscriber, already connected. */
  link: RedisLink
  prefix: string
  channel: string
  mirror: RevocationMirror
  failClosed: boolean
  /** Milliseconds each command of a rebuild may take. */
  timeoutMs: number
  /** Milliseconds between heartbeats; `0` turns them off. */
  heartbeatMs: number
  /** The clock, in seconds, for the epoch's cut-off. */
  now: () => number
  onError: (error: unknown) => void
}

/**
 * The generation of the data in Redis (`<prefix>epoch`, no expiry): created by the first instance
 * that finds none, which is what a fresh Redis and an emptied one look like alike. Its `since` is
 * the fleet-wide cut-off: tokens issued before the data began are refused, since revocations made
 * before may be lost. Every instance reads the same epoch, so old and new ones answer alike.
 *
 * On a Redis Cluster the marker shares the one hash slot of every key of the store: the master
 * that serves that slot losing its data (restarted empty, flushed, failed over to an empty
 * replica) loses the marker with it and is detected alike; another master losing its data loses
 * none of the store's keys.
 *
 * A failover to a replica that had not received the last writes keeps the marker (the replica
 * had it long before): the write sequence (`<prefix>seq`) tells. Each instance remembers the highest
 * sequence its own writes returned; reading a lower one (at every heartbeat and every rebuild) means
 * acknowledged writes are gone, and the instance replaces the epoch, so every instance refuses the
 * tokens issued before, as after an emptied Redis. Writes of an instance that died with them are
 * detected only through the later writes of the others.
 */
interface Epoch {
  id: string
  /** Seconds, to the millisecond: tokens issued before are refused by every instance (their revocations may be lost). */
  since: number
}

function parseEpoch(value: unknown): Epoch | undefined {
  if (typeof value !== 'string') return undefined
  try {
    const parsed = JSON.parse(value) as Partial<Epoch>
    return typeof parsed.id === 'string' && Number.isFinite(parsed.since) ? (parsed as Epoch) : undefined
  } catch {
    return undefined
  }
}

/** `["r", jti, expiresAt]`, `["f", familyId, expiresAt]` or `["c", identity, before, expiresAt]`. */
export function revokedMessage(jti: string, expiresAt: number): string {
  return JSON.stringify(['r', jti, String(expiresAt)])
}

/** The message of a revoked family: `["f", familyId, expiresAt]`. */
export function familyMessage(familyId: string, expiresAt: number): string {
  return JSON.stringify(['f', familyId, String(expiresAt)])
}

const GLOB = /[*?[\]\\]/g

function finite(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined
  const number = Number(value)
  return Number.isFinite(number) ? number : undefined
}
const SCAN_COUNT = 500
const RETRY_MS = 1000
const MISSED_BEATS = 3

/** The view object the store exposes, plus its lifecycle. */
export class RedisRevocationView implements RevocationView {
  readonly #options: RedisViewOptions
  #synced = false
  #generation = 0
  #closed = false
  #retry: NodeJS.Timeout | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #lastBeat = performance.now()
  #silent = false
  readonly #beatChannel: string
  readonly #epochKey: string
  readonly #sequenceKey: string
  /** The highest write sequence this instance's writes returned. */
  #written = 0
  #epoch: Epoch | undefined
  #unwatch = (): void => {}
  readonly #onReady = (): void => void this.resync()
  readonly #onDown = (): void => {
    this.#synced = false
  }
  readonly #onMessage = (message: string): void => this.#apply(message)
  readonly #onBeat = (): void => {
    this.#lastBeat = performance.now()
    if (!this.#silent) return
    this.#silent = false
    void this.resync()
  }

  constructor(options: RedisViewOptions) {
    this.#options = options
    this.#beatChannel = `${options.prefix}heartbeat:${randomUUID()}`
    this.#epochKey = `${options.prefix}epoch`
    this.#sequenceKey = `${options.prefix}seq`
  }

  /** The key of the write sequence, which every write script increments (its `KEYS[2]`). */
  get sequenceKey(): string {
    return this.#sequenceKey
  }

  /** Records the write sequence a write returned. */
  wrote(sequence: number): void {
    if (Number.isFinite(sequence) && sequence > this.#written) this.#written = sequence
  }

  get available(): boolean {
    return this.#synced && !this.#silent && !this.#closed && this.#options.link.subscriber.isReady
  }

  get size(): number {
    return this.#options.mirror.size
  }

  isRevoked(jti: string): boolean {
    if (this.#options.failClosed && !this.available) throw storeUnavailable()
    return this.#options.mirror.isRevoked(jti)
  }

  isFamilyRevoked(familyId: string): boolean {
    if (this.#options.failClosed && !this.available) throw storeUnavailable()
    return this.#options.mirror.isFamilyRevoked(familyId)
  }

  revokedBefore(identity: string): number | null {
    if (this.#options.failClosed && !this.available) throw storeUnavailable()
    return this.#options.mirror.revokedBefore(identity)
  }

  revokedBeforeAll(): number | null {
    return this.#epoch?.since ?? null
  }

  /** Subscribes, then builds the view; rejects when the first build fails. */
  async start(): Promise<void> {
    const { subscriber } = this.#options.link
    await subscriber.subscribe(this.#options.channel, this.#onMessage)
    this.#unwatch = subscriber.watch(this.#onReady, this.#onDown)
    if (!(await this.resync())) throw storeUnavailable(new Error('the first revocation scan failed'))
    const { heartbeatMs } = this.#options
    if (heartbeatMs === 0) return
    await subscriber.subscribe(this.#beatChannel, this.#onBeat)
    this.#lastBeat = performance.now()
    this.#heartbeat = setInterval(() => this.#beat(), heartbeatMs)
    this.#heartbeat.unref()
  }

  #beat(): void {
    const { link, heartbeatMs, onError } = this.#options
    if (performance.now() - this.#lastBeat > MISSED_BEATS * heartbeatMs) this.#silent = true
    if (!link.commands.isReady) return
    link.publish(this.#beatChannel, '').catch(onError)
    // Emptied without a reconnect (FLUSHALL, a failover to an empty replica), or writes lost in a
    // failover (the sequence is read after every write whose value is remembered was answered, on
    // the same connection, so only a loss reads lower): the rebuild starts over.
    const written = this.#written
    link.commands.mGet([this.#epochKey, this.#sequenceKey]).then(([epoch, sequence]) => {
      if (!this.#synced) return
      if (parseEpoch(epoch)?.id !== this.#epoch?.id || Number(sequence ?? 0) < written) void this.resync()
    }, onError)
  }

  /** Reads the epoch, creating it when Redis has none (a fresh or emptied Redis). */
  async #syncEpoch(): Promise<void> {
    const { link, timeoutMs, now, onError } = this.#options
    const client = link.commands
    // Every token issued before this instant is refused. To the millisecond, as tokens' iat_ms: a
    // login just after the epoch began is not locked out for the rest of that second (a token
    // without iat_ms falls back to its whole-second iat, so one of that second is refused).
    const fresh = JSON.stringify({ id: randomUUID(), since: cutOffInstant(now()) })
    const written = this.#written
    await withinDeadline(client.set(this.#epochKey, fresh, { NX: true }), timeoutMs)
    const [stored, current] = await withinDeadline(
      client.mGet([this.#epochKey, this.#sequenceKey]),
      timeoutMs,
    )
    let epoch = parseEpoch(stored)
    if (epoch === undefined) throw new Error(`${this.#epochKey} holds no valid epoch`)
    const sequence = Number(current ?? 0)
    if (sequence < written && epoch.id === this.#epoch?.id) {
      // The epoch survived but writes this instance saw acknowledged did not: a new epoch.
      const keys = [this.#epochKey]
      const replaced = await withinDeadline(
        runScript(client, REPLACE_EPOCH, keys, [stored as string, fresh]),
        timeoutMs,
      )
      epoch = parseEpoch(replaced)
      if (epoch === undefined) throw new Error(`${this.#epochKey} holds no valid epoch`)
      onError(
        new Error(
          `Redis lost acknowledged writes (write sequence ${sequence}, expected at least ${written}): a failover to a replica that had not received them`,
        ),
      )
    }
    // After a loss (noticed here, by another instance, or with the whole data), count from here.
    if (sequence < written) this.#written = sequence
    if (this.#epoch !== undefined && epoch.id !== this.#epoch.id) {
      onError(
        new Error(
          `Redis lost its data (new epoch ${epoch.id}): tokens issued before ${new Date(epoch.since * 1000).toISOString()} are refused, users log in again`,
        ),
      )
    }
    this.#epoch = epoch
  }

  /** Rebuilds the view from Redis; on failure, retries every second while the view is stale. */
  async resync(): Promise<boolean> {
    const generation = ++this.#generation
    this.#synced = false
    clearTimeout(this.#retry)
    try {
      await this.#scan()
    } catch (error) {
      this.#options.onError(error)
      if (!this.#closed && generation === this.#generation) {
        this.#retry = setTimeout(() => void this.resync(), RETRY_MS)
        this.#retry.unref()
      }
      return false
    }
    if (generation !== this.#generation || this.#closed) return false
    this.#synced = true
    return true
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#retry)
    clearInterval(this.#heartbeat)
    this.#unwatch()
  }

  async #scan(): Promise<void> {
    await this.#syncEpoch()
    const { link, prefix, mirror, timeoutMs } = this.#options
    // On a cluster, the master of the store's slot: SCAN lists one node's keys.
    const client = await withinDeadline(link.scanner(), timeoutMs)
    const pattern = prefix.replace(GLOB, '\\$&')
    for (const kind of ['revoked', 'family', 'cutoff'] as const) {
      const start = `${prefix}${kind}:`.length
      let cursor = '0'
      do {
        const reply = await withinDeadline(
          client.scan(cursor, { MATCH: `${pattern}${kind}:*`, COUNT: SCAN_COUNT }),
          timeoutMs,
        )
        cursor = String(reply.cursor)
        const { keys } = reply
        if (keys.length === 0) continue
        if (kind !== 'cutoff') {
          const values = await withinDeadline(client.mGet(keys), timeoutMs)
          keys.forEach((key, i) => {
            const expiresAt = finite(values[i])
            if (expiresAt === undefined) return
            if (kind === 'revoked') mirror.addRevoked(key.slice(start), expiresAt)
            else mirror.addFamily(key.slice(start), expiresAt)
          })
        } else {
          const values = await withinDeadline(
            Promise.all(keys.map((key) => client.hmGet(key, ['b', 'e']))),
            timeoutMs,
          )
          keys.forEach((key, i) => {
            const before = finite(values[i]?.[0])
            const expiresAt = finite(values[i]?.[1])
            if (before !== undefined && expiresAt !== undefined)
              mirror.addCutoff(key.slice(start), before, expiresAt)
          })
        }
      } while (cursor !== '0')
    }
  }

  #apply(message: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(message)
    } catch (error) {
      this.#options.onError(error)
      return
    }
    if (!Array.isArray(parsed) || typeof parsed[1] !== 'string') return
    const [kind, id, first, second] = parsed as [unknown, string, unknown, unknown]
    const a = finite(first)
    const b = finite(second)
    if (kind === 'r' && a !== undefined) this.#options.mirror.addRevoked(id, a)
    else if (kind === 'f' && a !== undefined) this.#options.mirror.addFamily(id, a)
    else if (kind === 'c' && a !== undefined && b !== undefined) this.#options.mirror.addCutoff(id, a, b)
  }
}
