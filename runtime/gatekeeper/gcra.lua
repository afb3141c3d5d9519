-- GCRA on redis-gatekeeper: the Lua twin of machines/gcra.ts (gcraDecide / gcraCharge), one atomic
-- call per acquire or charge. Time is the server's TIME, never a client's clock. Needs Redis >= 5
-- (effects replication by default, so writing after TIME is allowed).
--
-- KEYS[1]  bucket key, e.g. tg:rl:{broker}:{fingerprint} (already prefixed by the store)
-- ARGV[1]  mode: 'acquire' (ask for ARGV[4] tokens) or 'charge' (spend ARGV[4] tokens unasked)
-- ARGV[2]  ratePerSec (> 0)
-- ARGV[3]  burst (>= 1; 1 = strictly spaced)
-- ARGV[4]  cost (acquire) or tokens (charge), >= 0
-- ARGV[5]  acquire only, optional: count of requests of `cost` each decided in order in this one
--          call (default 1): concurrent callers of one key share a round trip, with the same result
--          as `count` acquires at the same instant
--
-- Returns { granted, waitUs, remaining, nowUs }: all integers, times in microseconds (Redis would
-- truncate fractional Lua numbers anyway). granted is how many of the `count` requests were granted
-- (the first ones; 1|0 for a single request). waitUs is for the first request not granted (0 when
-- all were), rounded up, so waiting it is enough (the wait for the next token, the same for all the
-- refused ones of the call).
-- A charge returns { 1, 0, 0, nowUs }.
--
-- State: the key holds the theoretical arrival time (TAT) in integer microseconds, rounded up (never
-- early), and expires (PX) once the TAT has passed: an absent key and a TAT in the past mean the
-- same thing, an idle bucket. Numbers passed to redis.call are formatted with %.17g by Redis, so
-- 16-digit microsecond timestamps are stored exactly.

local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
if not rate or rate <= 0 or not burst or not cost or cost < 0 then
  return redis.error_reply('ERR gcra: bad arguments')
end
if burst < 1 then burst = 1 end

local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
local interval = 1000000 / rate
-- How far the bucket runs ahead of now (0 when idle). Working relative to now keeps the decision
-- exact at the boundary, where absolute 16-digit timestamps would round.
local ahead = 0
if tat > now then ahead = tat - now end

if ARGV[1] == 'charge' then
  if cost > 0 then
    local newTat = math.ceil(now + ahead + interval * cost)
    redis.call('SET', KEYS[1], newTat, 'PX', math.ceil((newTat - now) / 1000) + 1)
  end
  return { 1, 0, 0, now }
end
if ARGV[1] ~= 'acquire' then
  return redis.error_reply('ERR gcra: mode must be acquire or charge')
end

local count = tonumber(ARGV[5] or '1')
if not count or count < 1 then
  return redis.error_reply('ERR gcra: bad count')
end

-- gcraDecide: allowAt = max(tat, now) + interval * cost - interval - tolerance, relative to now.
-- Each grant moves the TAT exactly as a separate call at the same instant would (rounded up).
local granted = 0
local newTat = 0
local wait = 0
local remaining = 0
while granted < count do
  wait = ahead + interval * (cost - 1) - interval * (burst - 1)
  if wait > 0 then break end
  remaining = math.floor(-wait / interval + 1e-9)
  newTat = math.ceil(now + ahead + interval * cost)
  ahead = newTat - now
  granted = granted + 1
end
if granted > 0 then
  redis.call('SET', KEYS[1], newTat, 'PX', math.ceil((newTat - now) / 1000) + 1)
end
if granted == count then
  return { granted, 0, remaining, now }
end
return { granted, math.ceil(wait), 0, now }
