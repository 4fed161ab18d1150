import type { Redis } from "ioredis"

/** The Lua scripts that move `RedisJobQueue`'s messages, each one atomic on the server. */

// Keys: ready (zset, score = seq: FIFO), delayed (zset, score = due instant), inflight (zset, score = lease deadline),
// seqs (hash id → seq, to put a delayed or expired message back in line at its place). A message is a job id in
// exactly one of the three sets.
export const offerScript = `
local now = tonumber(ARGV[1])
local added = 0
for i = 2, #ARGV, 3 do
  local id = ARGV[i]
  if not redis.call("ZSCORE", KEYS[1], id) and not redis.call("ZSCORE", KEYS[2], id)
     and not redis.call("ZSCORE", KEYS[3], id) then
    redis.call("HSET", KEYS[4], id, ARGV[i + 1])
    if tonumber(ARGV[i + 2]) <= now then
      redis.call("ZADD", KEYS[1], ARGV[i + 1], id)
    else
      redis.call("ZADD", KEYS[2], ARGV[i + 2], id)
    end
    added = added + 1
  end
end
return added`

export const takeScript = `
local function promote(key, max)
  local ids = redis.call("ZRANGEBYSCORE", key, "-inf", max, "LIMIT", 0, 100)
  for _, id in ipairs(ids) do
    redis.call("ZREM", key, id)
    redis.call("ZADD", KEYS[1], redis.call("HGET", KEYS[4], id) or "0", id)
  end
end
promote(KEYS[2], ARGV[1])
promote(KEYS[3], "(" .. ARGV[1])
local top = redis.call("ZPOPMIN", KEYS[1])
if top[1] then
  redis.call("ZADD", KEYS[3], ARGV[2], top[1])
  return { top[1], -1 }
end
local next = -1
local delayed = redis.call("ZRANGE", KEYS[2], 0, 0, "WITHSCORES")
if delayed[2] then next = tonumber(delayed[2]) end
local inflight = redis.call("ZRANGE", KEYS[3], 0, 0, "WITHSCORES")
if inflight[2] then
  local deadline = tonumber(inflight[2])
  if next < 0 or deadline < next then next = deadline end
end
return { "", next }`

export const releaseScript = `
local id = ARGV[2]
redis.call("ZREM", KEYS[1], id)
redis.call("ZREM", KEYS[2], id)
redis.call("ZREM", KEYS[3], id)
redis.call("HSET", KEYS[4], id, ARGV[3])
if tonumber(ARGV[4]) <= tonumber(ARGV[1]) then
  redis.call("ZADD", KEYS[1], ARGV[3], id)
else
  redis.call("ZADD", KEYS[2], ARGV[4], id)
end
return 1`

export const requeueScript = `
local id = ARGV[1]
if redis.call("ZREM", KEYS[3], id) == 1 then
  redis.call("ZADD", KEYS[1], redis.call("HGET", KEYS[4], id) or "0", id)
end
return 1`

export const forgetScript = `
local id = ARGV[1]
redis.call("ZREM", KEYS[1], id)
redis.call("ZREM", KEYS[2], id)
redis.call("ZREM", KEYS[3], id)
redis.call("HDEL", KEYS[4], id)
return 1`

export type Keys = readonly [ready: string, delayed: string, inflight: string, seqs: string]

export interface QueueRedis extends Redis {
  scribeOffer(...args: [...Keys, ...Array<string>]): Promise<number>
  scribeTake(...args: [...Keys, now: string, deadline: string]): Promise<[string, number]>
  scribeRelease(...args: [...Keys, now: string, id: string, seq: string, availableAt: string]): Promise<number>
  scribeRequeue(...args: [...Keys, id: string]): Promise<number>
  scribeForget(...args: [...Keys, id: string]): Promise<number>
}

/** `redis` with the scripts defined on it as commands. */
export const withScripts = (redis: Redis): QueueRedis => {
  redis.defineCommand("scribeOffer", { numberOfKeys: 4, lua: offerScript })
  redis.defineCommand("scribeTake", { numberOfKeys: 4, lua: takeScript })
  redis.defineCommand("scribeRelease", { numberOfKeys: 4, lua: releaseScript })
  redis.defineCommand("scribeRequeue", { numberOfKeys: 4, lua: requeueScript })
  redis.defineCommand("scribeForget", { numberOfKeys: 4, lua: forgetScript })
  return redis as QueueRedis
}
