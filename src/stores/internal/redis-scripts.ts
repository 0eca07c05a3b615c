/**
 * The Lua scripts of the Redis store (internal). Each runs atomically on the server; every key it
 * writes gets an absolute expiry (`EXAT`/`EXPIREAT`), so Redis itself bounds the storage.
 *
 * Keys under the prefix `P`: `P revoked:<jti>` (string: expiry), `P cutoff:<identity>` (hash
 * `b` before, `e` expiry), `P refresh:<id>` (hash `f` family, `i` identity, `a` issued at,
 * `e` expiry, `s` spent), `P family:<familyId>` (string: expiry); channel `P events`.
 *
 * Every write also increments the write sequence `P seq` (KEYS[2], no expiry) and returns its new
 * value, replicated with the write in one step: an instance that later reads a lower sequence knows
 * that writes it saw acknowledged are gone (a failover to a replica that had not received them).
 *
 * `CONSUME_REFRESH` reads keys it derives from the record (the family, the identity's cut-off):
 * on a Redis Cluster they must share the record's slot, which the prefix's hash tag ensures
 * (`{jwtguard:}`, see `redis-link.ts`), and the scripts publish with SPUBLISH ({@link sharded}).
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { ErrorReply } from 'redis'
import type { ConsumeResult } from '../types.js'
import type { RedisCommands } from './redis-link.js'

/** A script with its SHA1, run by `EVALSHA`, loaded by `EVAL` when the server does not know it. */
export interface LuaScript {
  source: string
  sha: string
}

/** Wraps a script source with its SHA1. */
export function lua(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * The same script publishing on a shard channel (SPUBLISH), for a Redis Cluster: the channel
 * shares the keys' slot, so the message is sent by the master that ran the script, atomically with
 * its write, to the subscribers of that master only (classic PUBLISH goes to every node).
 */
export function sharded(script: LuaScript): LuaScript {
  return lua(script.source.replaceAll("redis.call('PUBLISH'", "redis.call('SPUBLISH'"))
}

/** Increments the write sequence KEYS[2] (when given) and returns it. */
const BUMP = `
local function bump()
  if KEYS[2] then return redis.call('INCR', KEYS[2]) end
  return 1
end
`

/**
 * Sets KEYS[1] to the expiry ARGV[1] unless it holds a later one; publishes ARGV[3] on ARGV[2].
 * Returns the write sequence.
 */
export const SET_MAX_EXPIRY = lua(`${BUMP}
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[1]) end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return bump()`)

/**
 * Raises the cut-off hash KEYS[1] to (ARGV[1], ARGV[2]); publishes it on ARGV[3] for ARGV[4].
 * Returns the write sequence.
 */
export const RAISE_CUTOFF = lua(`${BUMP}
local current = redis.call('HMGET', KEYS[1], 'b', 'e')
local before, expires = ARGV[1], ARGV[2]
if current[1] and tonumber(current[1]) > tonumber(before) then before = current[1] end
if current[2] and tonumber(current[2]) > tonumber(expires) then expires = current[2] end
redis.call('HSET', KEYS[1], 'b', before, 'e', expires)
redis.call('EXPIREAT', KEYS[1], expires)
redis.call('PUBLISH', ARGV[3], cjson.encode({'c', ARGV[4], before, expires}))
return bump()`)

/** Saves the refresh hash KEYS[1] unless it exists; returns 0 when it did, else the write sequence. */
export const SAVE_REFRESH = lua(`${BUMP}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'f', ARGV[1], 'i', ARGV[2], 'a', ARGV[3], 'e', ARGV[4], 's', '0')
redis.call('EXPIREAT', KEYS[1], ARGV[4])
return bump()`)

/**
 * Reads and spends the refresh hash KEYS[1] at time ARGV[1] (key prefix ARGV[2], reuse interval
 * ARGV[3]); returns `{status, family, identity, issuedAt, expiresAt, sequence}` (the write
 * sequence when it spent the token, else 0) or `{'unknown'}`. The field `s` holds the time the token
 * was spent (`'0'`: not yet; `'1'`, from earlier versions: long ago).
 */
export const CONSUME_REFRESH = lua(`${BUMP}
local r = redis.call('HMGET', KEYS[1], 'f', 'i', 'a', 'e', 's')
if not r[1] or tonumber(r[4]) <= tonumber(ARGV[1]) then return {'unknown'} end
local status = 'ok'
local written = 0
if redis.call('EXISTS', ARGV[2] .. 'family:' .. r[1]) == 1 then
  status = 'family-revoked'
else
  local cutoff = redis.call('HGET', ARGV[2] .. 'cutoff:' .. r[2], 'b')
  if cutoff and tonumber(r[3]) < tonumber(cutoff) then
    status = 'identity-revoked'
  elseif r[5] ~= '0' then
    local grace = tonumber(ARGV[3] or '0')
    if grace > 0 and tonumber(ARGV[1]) - tonumber(r[5]) <= grace then
      status = 'concurrent'
    else
      status = 'reused'
    end
  else
    local spentAt = ARGV[1]
    if tonumber(spentAt) < 1 then spentAt = '1' end
    redis.call('HSET', KEYS[1], 's', spentAt)
    written = bump()
  end
end
return {status, r[1], r[2], r[3], r[4], written}`)

/**
 * Replaces the epoch KEYS[1] by ARGV[2] if it still holds ARGV[1] (of several instances noticing
 * the same loss, one starts the new epoch); returns the epoch it holds then.
 */
export const REPLACE_EPOCH = lua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end
return redis.call('GET', KEYS[1])`)

const STATUSES = new Set(['ok', 'reused', 'concurrent', 'family-revoked', 'identity-revoked'])

/** The write sequence a `CONSUME_REFRESH` reply carries (0 when it wrote nothing). */
export function consumeSequence(reply: unknown): number {
  return Array.isArray(reply) ? Number(reply[5] ?? 0) || 0 : 0
}

/** Turns a `CONSUME_REFRESH` reply into a {@link ConsumeResult}. */
export function consumeResult(reply: unknown, id: string): ConsumeResult {
  if (!Array.isArray(reply) || !STATUSES.has(reply[0])) return { status: 'unknown' }
  const [status, familyId, identity, issuedAt, expiresAt] = reply.map(String)
  const record = { id, familyId, identity, issuedAt: Number(issuedAt), expiresAt: Number(expiresAt) }
  return { status, record } as ConsumeResult
}

/** Runs a script by SHA, sending its source once if the server's script cache lacks it. */
export async function runScript(
  client: RedisCommands,
  script: LuaScript,
  keys: string[],
  args: string[],
): Promise<unknown> {
  try {
    return await client.evalSha(script.sha, { keys, arguments: args })
  } catch (error) {
    if (!(error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))) throw error
    return client.eval(script.source, { keys, arguments: args })
  }
}
