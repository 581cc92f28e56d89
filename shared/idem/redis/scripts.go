package redis

import goredis "github.com/redis/go-redis/v9"

// A record is one Redis hash whose key is the store prefix followed by the idempotency key.
// Its fields are below; times are unix milliseconds. The key's PEXPIREAT is the record's
// expires_at, so Redis drops it on its own, but every script and read also compares
// expires_at with the caller's clock (ARGV[1]) and treats a passed record as absent.
const (
	fieldStatus    = "status"
	fieldHash      = "hash"
	fieldOwner     = "owner"
	fieldLockUntil = "lock_until"
	fieldExpiresAt = "expires_at"
	fieldUpdatedAt = "updated_at"
	fieldResult    = "result"
)

// beginScript takes the IN_PROGRESS lock in one atomic step.
// KEYS[1] record; ARGV now, payload hash, owner, lock_until, expires_at.
// Returns {1, tookOver} when acquired, {0, 0, HGETALL} when a record stands. A live lock
// already held by the same owner for the same hash counts as acquired (and is left as it is):
// owners are unique per invocation, so that is this call's own Begin, resent by the client
// after its reply was lost.
var beginScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
local flat = redis.call('HGETALL', KEYS[1])
local took = 0
if #flat > 0 then
  local rec = {}
  for i = 1, #flat, 2 do rec[flat[i]] = flat[i + 1] end
  local exp = tonumber(rec['expires_at'])
  local lock = tonumber(rec['lock_until'])
  if rec['status'] == nil or exp == nil or lock == nil then
    return redis.error_reply('ESSFLOW malformed idempotency record')
  end
  if exp > now then
    if rec['status'] == 'IN_PROGRESS' and lock > now and rec['owner'] == ARGV[3] and rec['hash'] == ARGV[2] then
      return {1, 0}
    end
    if rec['status'] ~= 'IN_PROGRESS' or lock > now then
      return {0, 0, flat}
    end
    took = 1
  end
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], 'status', 'IN_PROGRESS', 'hash', ARGV[2], 'owner', ARGV[3],
  'lock_until', ARGV[4], 'expires_at', ARGV[5], 'updated_at', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return {1, took}
`)

// finishScript stores the final status when the owner holds the live IN_PROGRESS record.
// KEYS[1] record; ARGV now, owner, status, result, expires_at. Returns 1 when stored, 0 when
// the owner does not hold the lock. A record the same owner already finished with the same
// status and result also returns 1 (unchanged): that is this call resent after a lost reply.
var finishScript = goredis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'owner', 'expires_at', 'result')
local exp = tonumber(f[3])
if f[2] ~= ARGV[2] or exp == nil or exp <= tonumber(ARGV[1]) then
  return 0
end
if f[1] == ARGV[3] and (f[4] or '') == ARGV[4] then
  return 1
end
if f[1] ~= 'IN_PROGRESS' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'result', ARGV[4], 'expires_at', ARGV[5],
  'updated_at', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 1
`)

// releaseScript deletes the live IN_PROGRESS record when the owner holds it.
// KEYS[1] record; ARGV now, owner. Returns 1 when deleted, 0 otherwise.
var releaseScript = goredis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'owner', 'expires_at')
local exp = tonumber(f[3])
if f[1] ~= 'IN_PROGRESS' or f[2] ~= ARGV[2] or exp == nil or exp <= tonumber(ARGV[1]) then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
`)

// deleteScript deletes the record whatever its state. KEYS[1] record; ARGV now. Returns 1
// when a live record was deleted, 0 when there was none (an expired leftover is removed too).
var deleteScript = goredis.NewScript(`
local exp = tonumber(redis.call('HGET', KEYS[1], 'expires_at'))
local n = redis.call('DEL', KEYS[1])
if n == 1 and exp ~= nil and exp > tonumber(ARGV[1]) then
  return 1
end
return 0
`)
