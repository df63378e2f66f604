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

-- Replies of writes kept for a retry: a write that inserts or deletes carries a token; its
-- script calls replayed() first and remember() before returning. ARGV[#ARGV - 1] is '1' when
-- the call carries a token, whose key (_ir_|KEY:op:TOKEN) is KEYS[#KEYS - 1].
local OP_REPLY_TTL = 30

local function replayed()
  if ARGV[#ARGV - 1] ~= '1' then
    return nil
  end
  local kept = redis.call('GET', KEYS[#KEYS - 1])
  if not kept then
    return nil
  end
  local reply = {'replay'}
  for part in string.gmatch(kept, '[^,]+') do
    reply[#reply + 1] = part
  end
  return reply
end

local function remember(reply)
  if ARGV[#ARGV - 1] == '1' then
    local parts = {}
    for i = 2, #reply do
      parts[i - 1] = tostring(reply[i])
    end
    redis.call('SET', KEYS[#KEYS - 1], table.concat(parts, ','), 'EX', OP_REPLY_TTL)
  end
  return reply
end
