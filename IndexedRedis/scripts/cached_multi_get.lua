-- getMultiple for the client cache (readcache.py): one round trip, nothing sent back when the
-- cached objects are still right.
--
-- KEYS[1]        the write counter of the generation (_ir_|KEY:ver)
-- KEYS[2 .. n+1] the data keys of the objects
-- ARGV[1]        the counter the cached result was read at ('' for none); ARGV[2] nFields, then
--                the field names, then the n pks, in the order of KEYS
-- Reply: {'unchanged'} while the counter has that value and none of these objects is past its
-- deadline (EXPIRE: a deadline passes with no write to bump the counter), else {counter, rows}
-- with rows as multi_get.lua's ({pk, {v1, ..., vF}, ...}; missing objects, and those past their
-- deadline, left out). A missing counter is created first, from the server clock.
-- The generation pointer and the planned generation come last in KEYS and ARGV.
local stale = staleGeneration()
if stale then
  return stale
end
local counter = currentCounter(KEYS[1])
local nf = tonumber(ARGV[2])
local firstPk = 3 + nf
local n = #KEYS - 2
local due = {}
local anyDue = false
if EXT and EXT.expiry then
  for i = 1, n do
    if isDue(ARGV[firstPk + i - 1]) then
      due[i] = true
      anyDue = true
    end
  end
end
if counter == ARGV[1] and not anyDue then
  return {'unchanged'}
end
local out = {}
for i = 1, n do
  if not due[i] then
    local key = KEYS[i + 1]
    local vals = redis.call('HMGET', key, unpack(ARGV, 3, 2 + nf))
    local any = false
    for m = 1, nf do
      if vals[m] then any = true break end
    end
    if any or redis.call('EXISTS', key) == 1 then
      out[#out + 1] = ARGV[firstPk + i - 1]
      out[#out + 1] = vals
    end
  end
end
return {counter, out}
