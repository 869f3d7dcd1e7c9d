/**
 * The Lua scripts of {@link RedisStore}. Each touches exactly one key, so each is atomic on a
 * single node and on a Cluster alike. The scripts never decode the record's JSON: the fields
 * they test (`v` version, `e` expiresAt, `u` userId) sit next to it in the session hash.
 *
 * @module
 */
import { LuaScript } from "./clients.js";

/**
 * Writes a session hash, unconditionally (create) or as a compare-and-set (update).
 *
 * KEYS[1] session key. ARGV: [1] expected version, or "" to write unconditionally; [2] now;
 * [3] TTL in ms; [4] record JSON; [5] version; [6] expiresAt; [7] userId, absent when anonymous.
 * Replies nil when the compare-and-set is refused (no record, other version, or expired at
 * `now`), else `[1, previous userId or nil]`.
 *
 * @example
 * ```ts
 * await writeSessionScript.run(commands, [key], ["1", now, ttl, json, "2", expiresAt, userId]);
 * ```
 */
export const writeSessionScript = new LuaScript(`
local key = KEYS[1]
local old = redis.call('HMGET', key, 'v', 'e', 'u')
if ARGV[1] ~= '' and (tonumber(old[1]) ~= tonumber(ARGV[1]) or tonumber(old[2]) <= tonumber(ARGV[2])) then
  return false
end
redis.call('DEL', key)
redis.call('HSET', key, 'r', ARGV[4], 'v', ARGV[5], 'e', ARGV[6])
if ARGV[7] then redis.call('HSET', key, 'u', ARGV[7]) end
redis.call('PEXPIRE', key, ARGV[3])
return {1, old[3]}
`);

/** What {@link deleteSessionScript} found. */
export const DELETE_STATUS = {
  missing: 0,
  deletedLive: 1,
  deletedExpired: 2,
  keptOtherOwner: 3,
} as const;

/**
 * Deletes a session hash, optionally only if it belongs to a given user.
 *
 * KEYS[1] session key. ARGV: [1] now; [2] owner, absent to delete whoever owns it.
 * Replies `[status, userId or nil]` with a status from {@link DELETE_STATUS}.
 *
 * @example
 * ```ts
 * const [status, userId] = await deleteSessionScript.run(commands, [key], [now]);
 * ```
 */
export const deleteSessionScript = new LuaScript(`
local old = redis.call('HMGET', KEYS[1], 'e', 'u')
if not old[1] then return {0, false} end
if ARGV[2] and old[2] ~= ARGV[2] then return {3, old[2]} end
redis.call('DEL', KEYS[1])
if tonumber(old[1]) > tonumber(ARGV[1]) then return {1, old[2]} end
return {2, old[2]}
`);

/**
 * Maintains a user index (a sorted set of session ids scored by expiresAt): raises or adds
 * members (ZADD GT, so a score never moves earlier), removes members (each only if its score
 * is at most a given bound, when one is given), prunes every member
 * with score <= now, and sets the key's TTL to its latest score. Redis deletes it when empty.
 *
 * KEYS[1] user index. ARGV: [1] now; [2] "1" to reply the members, else "0"; [3] n, the number
 * of additions; then n (score, member) pairs; then (member, bound or "") pairs to remove.
 *
 * @example
 * ```ts
 * const ids = await updateIndexScript.run(commands, [indexKey], [now, "1", "0"]);
 * ```
 */
export const updateIndexScript = new LuaScript(`
local key, now, adds = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[3])
for i = 4, 3 + 2 * adds, 2 do redis.call('ZADD', key, 'GT', ARGV[i], ARGV[i + 1]) end
for i = 4 + 2 * adds, #ARGV, 2 do
  local score = redis.call('ZSCORE', key, ARGV[i])
  if score and (ARGV[i + 1] == '' or tonumber(score) <= tonumber(ARGV[i + 1])) then
    redis.call('ZREM', key, ARGV[i])
  end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIRE', key, string.format('%d', math.ceil(tonumber(last[2]) - now)))
end
if ARGV[2] == '1' then return redis.call('ZRANGE', key, 0, -1) end
return redis.call('ZCARD', key)
`);

/**
 * Whether a session hash holds a live session of its own: not expired at `now`, and not a
 * forwarder, tombstone or pending successor. The record JSON comes from `JSON.stringify`, where
 * `"successorId":null` can only be the top-level field (quotes inside string values are
 * escaped), so a plain substring search decides it without decoding the data.
 *
 * KEYS[1] session key. ARGV: [1] now. Replies 1 or 0.
 *
 * @example
 * ```ts
 * const live = await countLiveScript.run(commands, [key], [String(now)]);
 * ```
 */
export const countLiveScript = new LuaScript(`
local found = redis.call('HMGET', KEYS[1], 'e', 'r')
if not found[1] or tonumber(found[1]) <= tonumber(ARGV[1]) then return 0 end
if string.find(found[2], '"successorId":null', 1, true) then return 1 end
return 0
`);
