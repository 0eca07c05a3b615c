/**
 * The Redis store's local revocation view (internal): a {@link RevocationMirror} fed by the
 * store's pub/sub channel on a dedicated subscriber connection, and rebuilt with `SCAN` (never
 * `KEYS`) whenever that connection becomes ready, since messages published while it was down are
 * lost. The subscription is re-established before `ready`, so nothing falls between the two.
 *
 * @module
 */
import type { RedisClientType } from 'redis'
import type { RevocationView } from '../types.js'
import { storeUnavailable } from './errors.js'
import type { RevocationMirror } from './mirror.js'

/** What the view needs from the store. */
export interface RedisViewOptions {
  /** The command connection, used for the rebuild. */
  client: RedisClientType
  /** The dedicated subscriber connection, already connected. */
  subscriber: RedisClientType
  prefix: string
  channel: string
  mirror: RevocationMirror
  failClosed: boolean
  onError: (error: unknown) => void
}

/** `["r", jti, expiresAt]` or `["c", identity, before, expiresAt]`. */
export function revokedMessage(jti: string, expiresAt: number): string {
  return JSON.stringify(['r', jti, String(expiresAt)])
}

const GLOB = /[*?[\]\\]/g

function finite(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined
  const number = Number(value)
  return Number.isFinite(number) ? number : undefined
}
const SCAN_COUNT = 500
const RETRY_MS = 1000

/** The view object the store exposes, plus its lifecycle. */
export class RedisRevocationView implements RevocationView {
  readonly #options: RedisViewOptions
  #synced = false
  #generation = 0
  #closed = false
  #retry: NodeJS.Timeout | undefined
  readonly #onReady = (): void => void this.resync()
  readonly #onDown = (): void => {
    this.#synced = false
  }
  readonly #onMessage = (message: string): void => this.#apply(message)

  constructor(options: RedisViewOptions) {
    this.#options = options
  }

  get available(): boolean {
    return this.#synced && !this.#closed && this.#options.subscriber.isReady
  }

  isRevoked(jti: string): boolean {
    if (this.#options.failClosed && !this.available) throw storeUnavailable()
    return this.#options.mirror.isRevoked(jti)
  }

  revokedBefore(identity: string): number | null {
    if (this.#options.failClosed && !this.available) throw storeUnavailable()
    return this.#options.mirror.revokedBefore(identity)
  }

  /** Subscribes, then builds the view; rejects when the first build fails. */
  async start(): Promise<void> {
    const { subscriber, channel } = this.#options
    await subscriber.subscribe(channel, this.#onMessage)
    subscriber.on('ready', this.#onReady)
    subscriber.on('reconnecting', this.#onDown)
    subscriber.on('end', this.#onDown)
    if (!(await this.resync())) throw storeUnavailable(new Error('the first revocation scan failed'))
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
    const { subscriber } = this.#options
    subscriber.off('ready', this.#onReady)
    subscriber.off('reconnecting', this.#onDown)
    subscriber.off('end', this.#onDown)
  }

  async #scan(): Promise<void> {
    const { client, prefix, mirror } = this.#options
    const pattern = prefix.replace(GLOB, '\\$&')
    const revoked = `${prefix}revoked:`
    for await (const keys of client.scanIterator({ MATCH: `${pattern}revoked:*`, COUNT: SCAN_COUNT })) {
      if (keys.length === 0) continue
      const values = await client.mGet(keys)
      keys.forEach((key, i) => {
        const expiresAt = finite(values[i])
        if (expiresAt !== undefined) mirror.addRevoked(key.slice(revoked.length), expiresAt)
      })
    }
    const cutoff = `${prefix}cutoff:`
    for await (const keys of client.scanIterator({ MATCH: `${pattern}cutoff:*`, COUNT: SCAN_COUNT })) {
      const values = await Promise.all(keys.map((key) => client.hmGet(key, ['b', 'e'])))
      keys.forEach((key, i) => {
        const before = finite(values[i]?.[0])
        const expiresAt = finite(values[i]?.[1])
        if (before !== undefined && expiresAt !== undefined) {
          mirror.addCutoff(key.slice(cutoff.length), before, expiresAt)
        }
      })
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
    else if (kind === 'c' && a !== undefined && b !== undefined) this.#options.mirror.addCutoff(id, a, b)
  }
}
