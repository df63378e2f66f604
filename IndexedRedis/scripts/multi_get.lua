-- Read objects by pk (getMultiple), in the order given, at one instant.
--
-- KEYS[1 .. n]  the data keys of the objects
-- ARGV[1]       nFields, then the field names, then the n pks, in the order of KEYS
--
-- Reply: {pk, {v1, ..., vF}, pk, ...} (HMGET of the fields, as fetch.lua's 'fields' mode);
-- objects whose data key is gone are left out. Models with EXPIRE read by pk in a transaction
-- instead (readplans.py). The generation pointer and the planned generation come last in KEYS
-- and ARGV.
local stale = staleGeneration()
if stale then
  return stale
end
local nf = tonumber(ARGV[1])
local firstPk = 2 + nf
local out = {}
for i = 1, #KEYS - 1 do
  local key = KEYS[i]
  local vals = redis.call('HMGET', key, unpack(ARGV, 2, 1 + nf))
  local any = false
  for m = 1, nf do
    if vals[m] then any = true break end
  end
  if any or redis.call('EXISTS', key) == 1 then
    out[#out + 1] = ARGV[firstPk + i - 1]
    out[#out + 1] = vals
  end
end
return out
