-- Add to a number field of one object, checking the value it held (compare and set), keeping its
-- index entry and its sorted set in the same atomic step.
--
-- KEYS[1]  the object's data key        KEYS[2]  write counter of the generation (_ir_|KEY:ver)
-- KEYS[3]  the index key of the value expected, KEYS[4] that of the new value (when indexed: ARGV[4] = '1')
-- ARGV[1]  pk   ARGV[2] field   ARGV[3] expected: 'v' .. stored value, or 'x' (no value)
-- ARGV[4]  '1' when the field is indexed   ARGV[5] the new stored value
-- then the sorted sets of SORTED_FIELDS, the token key and flag, the generation (lib.lua)
-- Replies: {'ok'}; {'conflict', current value or false}: the field holds something else (the
-- client computes again from it); {'gone'}: the object does not exist; {'replay'}: sent again.
local stale = staleGeneration()
if stale then
  return stale
end
local again = replayed()
if again then
  return again
end
local spec = sortedSpec()
local dataKey, pk, field, expected, new = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[5]
if redis.call('EXISTS', dataKey) == 0 then
  return {'gone'}
end
local cur = redis.call('HGET', dataKey, field)
if not holdsExpected(dataKey, field, expected) then
  return {'conflict', cur}
end
redis.call('HSET', dataKey, field, new)
if ARGV[4] == '1' then
  if expected ~= 'x' then
    redis.call('SREM', KEYS[3], pk)
  end
  redis.call('SADD', KEYS[4], pk)
end
if #spec > 0 then
  local old = {}
  old[field] = cur
  local values = {}
  values[field] = new
  placeSorted(spec, pk, values, old)
end
bumpWriteCounter(KEYS[2])
return remember({'ok'})
