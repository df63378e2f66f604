-- Assign to (ARGV[2] = 'set') or delete (ARGV[2] = 'del') a slice of a list, as Python does.
-- KEYS[1] the list. ARGV[3..5] start, stop, step ('' for None; step is never 0);
-- ARGV[6..] the new values ('set'). Returns the new length; an IRVALUE error when an extended
-- slice is given a sequence of another size.
local key = KEYS[1]
local items = redis.call('LRANGE', key, 0, -1)
local n = #items
local a, b, step = sliceIndices(n, ARGV[3], ARGV[4], ARGV[5])
local nv = #ARGV - 5
if ARGV[2] == 'set' then
  if step == 1 then
    if b < a then b = a end
    local out = {}
    for i = 1, a do out[#out + 1] = items[i] end
    for i = 6, #ARGV do out[#out + 1] = ARGV[i] end
    for i = b + 1, n do out[#out + 1] = items[i] end
    rewrite(key, out)
    return #out
  end
  local pos = slicePositions(a, b, step)
  if #pos ~= nv then
    return redis.error_reply('IRVALUE attempt to assign sequence of size ' .. nv .. ' to extended slice of size ' .. #pos)
  end
  for k, p in ipairs(pos) do
    redis.call('LSET', key, p, ARGV[5 + k])
  end
  touch(key)
  return n
end
local pos = slicePositions(a, b, step)
if #pos == 0 then
  return n
end
local drop = {}
for _, p in ipairs(pos) do drop[p + 1] = true end
local out = {}
for i = 1, n do
  if not drop[i] then out[#out + 1] = items[i] end
end
rewrite(key, out)
return #out
