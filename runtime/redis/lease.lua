-- Leader lease on redis-main (tg:lease:{role}): one atomic claim that acquires an absent lease
-- (SET NX PX with a new fencing token) or renews the caller's own (PEXPIRE), and a release that
-- deletes the lease only if it is still the caller's. The fencing token only ever grows, so any
-- consumer can tell an older leader's act from the current one's.
--
-- KEYS[1]  lease key, e.g. tg:lease:supervisor; holds "{owner}|{token}"
-- KEYS[2]  fencing counter, e.g. tg:lease:supervisor:fence (INCR, never expires)
-- ARGV[1]  mode: 'claim' or 'release'
-- ARGV[2]  owner id (no '|')
-- ARGV[3]  claim: ttl in ms (> 0)
--
-- claim returns { 1, token, ttlMs } when the caller holds the lease (newly or still), or
--              { 0, holder, ttlMs left } when another owner holds it.
-- release returns 1 when the caller's lease was deleted, else 0.

local current = redis.call('GET', KEYS[1])
local holder, token = nil, nil
if current then
  holder, token = string.match(current, '^(.*)|(%d+)$')
end

if ARGV[1] == 'release' then
  if holder == ARGV[2] then
    redis.call('DEL', KEYS[1])
    return 1
  end
  return 0
end
if ARGV[1] ~= 'claim' then
  return redis.error_reply('ERR lease: mode must be claim or release')
end

local ttl = tonumber(ARGV[3])
if not ttl or ttl <= 0 then
  return redis.error_reply('ERR lease: bad ttl')
end
if current and holder ~= ARGV[2] then
  return { 0, holder or current, redis.call('PTTL', KEYS[1]) }
end
if holder == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return { 1, tonumber(token), ttl }
end
local fresh = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[2] .. '|' .. fresh, 'PX', ttl)
return { 1, fresh, ttl }
