-- Rebuild index sets atomically: delete some keys, then fill sets.
--
-- KEYS[1]          write counter of the generation (_ir_|KEY:ver), bumped
-- KEYS[#KEYS-1]    the generation's index key registry (_ir_|KEY:idxkeys), kept when it exists
-- KEYS[2 .. 1+nDel] keys to delete (index keys found by SCAN)
-- KEYS[2+nDel .. ]  sets to add members to, one per group in ARGV
-- ARGV[1]  nDel
-- then per set to fill: count, member1, member2, ...
-- The generation pointer and the planned generation come last in KEYS and ARGV.
-- Generation check (see keys.py): the last key is the generation pointer, the last argument the
-- generation the client planned for ('*': any, used while a reset builds a new generation).
local stale = staleGeneration()
if stale then
  return stale
end

local nDel = tonumber(ARGV[1])
local touched = {}
for i = 2, nDel + 1 do
  redis.call('DEL', KEYS[i])
  touched[KEYS[i]] = true
end
bumpWriteCounter(KEYS[1])
local a = 2
for k = nDel + 2, #KEYS - 2 do
  touched[KEYS[k]] = true
  local n = tonumber(ARGV[a])
  local i = a + 1
  while i <= a + n do
    local j = math.min(i + 999, a + n)
    redis.call('SADD', KEYS[k], unpack(ARGV, i, j))
    i = j + 1
  end
  a = a + n + 1
end
updateRegistry(KEYS[#KEYS - 1], touched)
return #KEYS - 3 - nDel
