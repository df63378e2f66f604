-- Shared by every script (scripts/__init__.py puts it in front of each one).

-- Bump a generation's write counter (_ir_|KEY:ver). A counter that does not exist yet starts
-- from the server clock in microseconds rather than from 1, so a counter deleted with its model
-- (destroyModel) and created again never repeats a value a reader may still hold.
local function bumpWriteCounter(key)
  if redis.call('INCR', key) == 1 then
    local t = redis.call('TIME')
    redis.call('SET', key, t[1] .. string.format('%06d', tonumber(t[2])))
  end
end

-- Whether a field of an object holds what the client expects: 'v' .. value (that value) or
-- 'x' (no value). '?' (not known) never does, so the caller reports the current value.
local function holdsExpected(dataKey, field, expected)
  local cur = redis.call('HGET', dataKey, field)
  if expected == 'x' then
    return not cur
  end
  return expected ~= '?' and cur and ('v' .. cur) == expected or false
end

-- Check the expected values of entry i (parallel lists `fields` and `expected`). When any
-- differs, append to `conflicts`: i, the number of fields, then each field and its current
-- value (false when absent), so the client can plan the entry again.
local function addConflict(conflicts, i, dataKey, fields, expected)
  local ok = true
  for j = 1, #fields do
    if not holdsExpected(dataKey, fields[j], expected[j]) then
      ok = false
    end
  end
  if ok then
    return
  end
  conflicts[#conflicts + 1] = i
  conflicts[#conflicts + 1] = #fields
  for j = 1, #fields do
    conflicts[#conflicts + 1] = fields[j]
    conflicts[#conflicts + 1] = redis.call('HGET', dataKey, fields[j])
  end
end

-- The index key registry of a generation (_ir_|KEY:idxkeys, see keys.py), kept by every script
-- that creates or empties index sets. `touched` maps index keys to true: keys the script created
-- or emptied (a key both created and emptied by one call ends as it is now). Only a registry that
-- exists is kept (data of the 6.0.3 layout has none until a pass builds it).
local function updateRegistry(registry, touched)
  if next(touched) == nil or redis.call('EXISTS', registry) == 0 then
    return
  end
  local add, rem = {}, {}
  for key in pairs(touched) do
    if redis.call('EXISTS', key) == 1 then
      add[#add + 1] = key
    else
      rem[#rem + 1] = key
    end
  end
  for i = 1, #add, 1000 do
    redis.call('SADD', registry, unpack(add, i, math.min(i + 999, #add)))
  end
  for i = 1, #rem, 1000 do
    redis.call('SREM', registry, unpack(rem, i, math.min(i + 999, #rem)))
  end
end
