-- Rebuild index sets atomically: delete some keys, then fill sets.
--
-- KEYS[1 .. nDel]   keys to delete (index keys found by SCAN)
-- KEYS[nDel+1 .. ]  sets to add members to, one per group in ARGV
-- ARGV[1]  nDel
-- then per set to fill: count, member1, member2, ...
local nDel = tonumber(ARGV[1])
for i = 1, nDel do
  redis.call('DEL', KEYS[i])
end
local a = 2
for k = nDel + 1, #KEYS do
  local n = tonumber(ARGV[a])
  local i = a + 1
  while i <= a + n do
    local j = math.min(i + 999, a + n)
    redis.call('SADD', KEYS[k], unpack(ARGV, i, j))
    i = j + 1
  end
  a = a + n + 1
end
return #KEYS - nDel
