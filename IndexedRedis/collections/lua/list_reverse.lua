-- list.reverse(): KEYS[1] the list. Returns the length.
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local n = #items
if n < 2 then
  return n
end
local out = {}
for i = n, 1, -1 do out[#out + 1] = items[i] end
rewrite(KEYS[1], out)
return n
