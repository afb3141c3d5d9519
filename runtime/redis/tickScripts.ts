// Lua scripts of the tick buffer, atomic on the server: an append that registers the collector and
// creates the `writer` group before the stream's first entry, and a trim that drops only entries
// every group has acked (below each group's oldest pending entry and its read position).
import { LuaScript } from './luaScript.ts';

/** KEYS: stream, collector index. ARGV: collector, group, codec version, payload. Returns the id. */
export const appendScript = new LuaScript(`
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[2], '0', 'MKSTREAM')
end
return redis.call('XADD', KEYS[1], '*', 'v', ARGV[3], 'b', ARGV[4])
`);

/** KEYS: stream. Trims below the oldest entry any group still needs; returns entries removed. */
export const trimScript = new LuaScript(`
local function less(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
local keep = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, last = nil, '0-0'
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  local pending = redis.call('XPENDING', KEYS[1], name)
  local needed = last
  if pending[1] > 0 then needed = pending[2] end
  if keep == nil or less(needed, keep) then keep = needed end
end
if keep == nil or keep == '0-0' then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', keep)
`);
