-- Add to a number field of one object, checking the value it held (compare and set), keeping its
-- index entry and its sorted set in the same atomic step.
--
-- KEYS[1]  the object's data key        KEYS[2]  write counter of the generation (_ir_|KEY:ver)
-- KEYS[3]  the index key of the value expected, KEYS[4] that of the new value (when indexed: ARGV[4] = '1')
-- ARGV[1]  pk   ARGV[2] field   ARGV[3] expected: 'v' .. stored value, or 'x' (no value)
-- ARGV[4]  '1' when the field is indexed   ARGV[5] the new stored value
-- then the sorted sets of SORTED_FIELDS, the token key and flag, the generation (lib.lua)
-- Replies: {'ok'}; {'conflict', current value or false}: the field holds something else (the
-- client computes again from it); {'gone'}: the object does not exist (or is past its deadline:
-- EXPIRE, ext.lua); {'unique', u, holder}: the new value is taken in unique constraint u (1-based)
-- by object holder (UNIQUE_FIELDS); {'replay'}: sent again.
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
if EXT and isDue(pk) then
  purgeOne(pk)
  return {'gone'}
end
local cur = redis.call('HGET', dataKey, field)
if not holdsExpected(dataKey, field, expected) then
  return {'conflict', cur}
end
-- unique constraints on the field (ext.lua): {'unique', u, holder} when the new value is taken
local uniqueMoves = {}
if EXT then
  for u = 1, #EXT.uniq do
    local c = EXT.uniq[u]
    local involved = false
    for j = 1, #c.fields do
      if c.fields[j] == field then involved = true end
    end
    if involved then
      local function after(f)
        if f == field then return new end
        return redis.call('HGET', dataKey, f)
      end
      local mOld, mNew = storedMember(c, dataKey), uniqueMember(c, after)
      if mNew and mNew ~= mOld then
        local holder = redis.call('HGET', c.key, mNew)
        if holder and holder ~= pk then
          if isDue(holder) then
            purgeOne(holder)
          else
            return {'unique', u, holder}
          end
        end
      end
      uniqueMoves[#uniqueMoves + 1] = {c.key, mOld, mNew}
    end
  end
end
redis.call('HSET', dataKey, field, new)
for _, mv in ipairs(uniqueMoves) do
  if mv[2] ~= mv[3] then
    if mv[2] and redis.call('HGET', mv[1], mv[2]) == pk then redis.call('HDEL', mv[1], mv[2]) end
    if mv[3] then redis.call('HSET', mv[1], mv[3], pk) end
  end
end
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
