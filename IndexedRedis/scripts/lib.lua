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
