/**
 * The Lua scripts of the Redis store (internal). Each runs atomically on the server; every key it
 * writes gets an absolute expiry (`EXAT`/`EXPIREAT`), so Redis itself bounds the storage.
 *
 * Keys under the prefix `P`: `P revoked:<jti>` (string: expiry), `P cutoff:<identity>` (hash
 * `b` before, `e` expiry), `P refresh:<id>` (hash `f` family, `i` identity, `a` issued at,
 * `e` expiry, `s` spent, and when known `c` session start, `u` user agent, `n` client address),
 * `P family:<familyId>` (string: expiry), `P sessions:<identity>` (hash: family id to the JSON
 * `[started, last used, expiry, user agent, client address]` of its newest token, expiring with
 * the latest of them); channel `P events`.
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
import type { ConsumeResult, RefreshRecord, SessionRecord } from '../types.js'
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

/**
 * Saves the refresh hash KEYS[1] unless it exists; returns 0 when it did, else the write sequence.
 * ARGV: family, identity, issued at, expiry, then session start, user agent and client address
 * (`''` when unknown). The session index KEYS[3] gets the family's newest token, and loses the
 * families whose tokens have all expired; it expires with its latest family.
 */
export const SAVE_REFRESH = lua(`${BUMP}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'f', ARGV[1], 'i', ARGV[2], 'a', ARGV[3], 'e', ARGV[4], 's', '0')
if ARGV[5] and ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'c', ARGV[5]) end
if ARGV[6] and ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'u', ARGV[6]) end
if ARGV[7] and ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'n', ARGV[7]) end
redis.call('EXPIREAT', KEYS[1], ARGV[4])
if KEYS[3] then
  -- Times stay strings (as JavaScript wrote them): cjson would round numbers to 14 digits.
  local started = ARGV[5]
  if started == nil or started == '' then started = ARGV[3] end
  local previous = redis.call('HGET', KEYS[3], ARGV[1])
  if previous then
    local old = cjson.decode(previous)
    if tonumber(old[2]) > tonumber(ARGV[3]) then return bump() end
    if tonumber(old[1]) < tonumber(started) then started = old[1] end
  end
  redis.call('HSET', KEYS[3], ARGV[1], cjson.encode({started, ARGV[3], ARGV[4], ARGV[6] or '', ARGV[7] or ''}))
  local latest = tonumber(ARGV[4])
  local all = redis.call('HGETALL', KEYS[3])
  for index = 1, #all, 2 do
    local expiry = tonumber(cjson.decode(all[index + 1])[3])
    if expiry <= tonumber(ARGV[3]) then redis.call('HDEL', KEYS[3], all[index])
    elseif expiry > latest then latest = expiry end
  end
  redis.call('EXPIREAT', KEYS[3], latest)
end
return bump()`)

/**
 * The live sessions in the index KEYS[1] at ARGV[1] (key prefix ARGV[2], identity ARGV[3]):
 * families not revoked, whose newest token is not expired nor issued before the identity's
 * cut-off. Returns `{family, json, family, json, ...}`.
 */
export const LIST_SESSIONS = lua(`
local now = tonumber(ARGV[1])
local before = redis.call('HGET', ARGV[2] .. 'cutoff:' .. ARGV[3], 'b')
local cutoff = before and tonumber(before) or -math.huge
local live = {}
local all = redis.call('HGETALL', KEYS[1])
for index = 1, #all, 2 do
  local session = cjson.decode(all[index + 1])
  if tonumber(session[3]) > now and tonumber(session[2]) >= cutoff
    and redis.call('EXISTS', ARGV[2] .. 'family:' .. all[index]) == 0 then
    live[#live + 1] = all[index]
    live[#live + 1] = all[index + 1]
  end
end
return live`)

/**
 * Reads and spends the refresh hash KEYS[1] at time ARGV[1] (key prefix ARGV[2], reuse interval
 * ARGV[3]); returns `{status, family, identity, issuedAt, expiresAt, sequence, started,
 * userAgent, clientAddress}` (the write sequence when it spent the token, else 0; the last three
 * nil when not saved) or `{'unknown'}`. The field `s` holds the time the token
 * was spent (`'0'`: not yet; `'1'`, from earlier versions: long ago).
 */
export const CONSUME_REFRESH = lua(`${BUMP}
local r = redis.call('HMGET', KEYS[1], 'f', 'i', 'a', 'e', 's', 'c', 'u', 'n')
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
return {status, r[1], r[2], r[3], r[4], written, r[6], r[7], r[8]}`)

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
  const record: RefreshRecord = {
    id,
    familyId: familyId as string,
    identity: identity as string,
    issuedAt: Number(issuedAt),
    expiresAt: Number(expiresAt),
  }
  const [createdAt, userAgent, clientAddress] = reply.slice(6, 9)
  if (typeof createdAt === 'string') record.createdAt = Number(createdAt)
  if (typeof userAgent === 'string') record.userAgent = userAgent
  if (typeof clientAddress === 'string') record.clientAddress = clientAddress
  return { status, record } as ConsumeResult
}

/** Turns a `LIST_SESSIONS` reply into session records, newest use first. */
export function sessionsResult(reply: unknown, identity: string): SessionRecord[] {
  const sessions: SessionRecord[] = []
  if (!Array.isArray(reply)) return sessions
  for (let index = 0; index + 1 < reply.length; index += 2) {
    const [createdAt, lastUsedAt, expiresAt, userAgent, clientAddress] = JSON.parse(String(reply[index + 1]))
    sessions.push({
      id: String(reply[index]),
      identity,
      createdAt: Number(createdAt),
      lastUsedAt: Number(lastUsedAt),
      expiresAt: Number(expiresAt),
      userAgent: typeof userAgent === 'string' && userAgent !== '' ? userAgent : null,
      clientAddress: typeof clientAddress === 'string' && clientAddress !== '' ? clientAddress : null,
    })
  }
  return sessions.sort((a, b) => b.lastUsedAt - a.lastUsedAt || (a.id < b.id ? -1 : 1))
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
